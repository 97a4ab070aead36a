"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useId } from "react";
import { useForm } from "react-hook-form";
import type { AccessRequestView, GrantView } from "@/lib/access/present";
import { decideAccessRequestSchema } from "@/lib/access/schema";
import { errorMessage } from "./api";
import { fieldMessage, sameNames, showServerError } from "./form";
import { formatMinutes } from "./format";
import { HeldCallsQueue } from "./held-calls";
import { useAccessRequests, useDecide, useGrants, useRevokeGrant } from "./hooks";
import { Age, Countdown } from "./live";
import { Time, TimeZoneNote } from "./time";
import { Alert, buttonClass, Card, DataTable, FieldError, inputClass, labelClass, PageHeader, QueryState, QueueCard, tdClass } from "./ui";

export function Approvals({ viewerId }: { viewerId: string }) {
  const pending = useAccessRequests("pending");
  const grants = useGrants("all", { active: true });

  return (
    <div className="space-y-6">
      <PageHeader
        title="Approvals"
        description="Decide on pending access requests and held tool calls, and keep an eye on who holds access right now."
      />

      <QueueCard
        title="Pending requests"
        query={pending}
        countLabel="pending"
        empty="Nothing waiting for a decision."
        item={(request) => <PendingRequest request={request} own={request.requester.id === viewerId} />}
      />

      <HeldCallsQueue viewerId={viewerId} />

      <Card title="Active grants" actions={<TimeZoneNote />} bodyClassName="p-0">
        <QueryState query={grants} empty="Nobody holds access right now.">
          {(active) => (
            <DataTable headers={["User", "Connection", "Started", "Remaining", { label: <span className="sr-only">Actions</span> }]}>
              {active.map((grant) => (
                <ActiveGrantRow key={grant.id} grant={grant} />
              ))}
            </DataTable>
          )}
        </QueryState>
      </Card>
    </div>
  );
}

function PendingRequest({ request, own }: { request: AccessRequestView; own: boolean }) {
  const id = useId();
  const decide = useDecide();
  const commentId = `${id}-comment`;
  // The comment is checked by the schema the approve and deny routes parse with, before sending.
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm({ resolver: zodResolver(decideAccessRequestSchema), defaultValues: { comment: "" } });
  const commentError = fieldMessage(errors.comment);
  const decideWith = (decision: "approve" | "deny") =>
    handleSubmit((body) =>
      decide.mutate(
        { id: request.id, decision, ...body },
        { onError: (error) => showServerError(error, setError, sameNames(["comment"])) },
      ),
    );

  return (
    <article aria-label={`Request from ${request.requester.email} for ${request.connection.name}`} className="px-4 py-3">
      <div className="flex flex-wrap items-start gap-x-6 gap-y-2">
        <div className="min-w-0 sm:min-w-48">
          <div className="font-medium wrap-anywhere text-gray-900">{request.requester.email}</div>
          <div className="text-xs text-gray-500">
            <Age iso={request.createdAt} />
          </div>
        </div>
        <div className="min-w-0 sm:min-w-40">
          <div className="font-medium text-gray-900">{request.connection.name}</div>
          <div className="font-mono text-xs text-gray-500">{request.connection.slug}</div>
        </div>
        <div className="min-w-20">
          <div className="font-medium text-gray-900 tabular-nums">{request.minutes} min</div>
          <div className="text-xs text-gray-500">max {formatMinutes(request.connection.maxMinutes)}</div>
        </div>
        <p className="min-w-0 flex-1 break-words whitespace-pre-wrap text-gray-800">{request.reason}</p>
      </div>
      <form className="mt-3 flex flex-wrap items-end gap-2" onSubmit={decideWith("approve")} noValidate>
        <div className="min-w-0 flex-1 basis-64">
          <label htmlFor={commentId} className={labelClass}>
            Comment
          </label>
          <input
            id={commentId}
            type="text"
            {...register("comment", { disabled: own || decide.isPending })}
            placeholder={own ? "" : "Optional — shown to the requester"}
            aria-invalid={commentError ? true : undefined}
            aria-describedby={commentError ? `${commentId}-error` : undefined}
            className={inputClass}
          />
        </div>
        <button type="submit" className={buttonClass("primary")} disabled={own || decide.isPending}>
          Approve
        </button>
        <button type="button" className={buttonClass("danger")} disabled={own || decide.isPending} onClick={decideWith("deny")}>
          Deny
        </button>
      </form>
      <FieldError id={`${commentId}-error`} message={commentError} />
      {own ? <p className="mt-2 text-xs text-gray-500">You cannot approve your own request</p> : null}
      {errors.root?.server ? <Alert className="mt-2">{errors.root.server.message}</Alert> : null}
    </article>
  );
}

function ActiveGrantRow({ grant }: { grant: GrantView }) {
  const revoke = useRevokeGrant();
  return (
    <tr>
      <td className={tdClass}>{grant.user?.email ?? "—"}</td>
      <td className={tdClass}>
        <div className="font-medium">{grant.connection?.name ?? "—"}</div>
        <div className="font-mono text-xs text-gray-500">{grant.connection?.slug}</div>
      </td>
      <td className={`${tdClass} whitespace-nowrap`}>
        <Time iso={grant.startsAt} />
      </td>
      <td className={tdClass}>
        <Countdown expiresAt={grant.expiresAt} />
      </td>
      <td className={`${tdClass} text-right`}>
        <button type="button" className={buttonClass("danger", "sm")} disabled={revoke.isPending} onClick={() => revoke.mutate(grant.id)}>
          Revoke
        </button>
        {revoke.error ? <p className="mt-1 text-xs text-red-700">{errorMessage(revoke.error)}</p> : null}
      </td>
    </tr>
  );
}
