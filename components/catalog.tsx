"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import Link from "next/link";
import { useId, useMemo, useState } from "react";
import { useForm } from "react-hook-form";
import type { AccessRequestView } from "@/lib/access/present";
import { createAccessRequestSchemaFor } from "@/lib/access/schema";
import type { ConnectionView } from "@/lib/connections/present-connection";
import { errorMessage } from "./api";
import { ConnectionGuardrails } from "./connection-guardrails";
import { fieldMessage, sameNames, showServerError } from "./form";
import { formatMinutes, transportLabel } from "./format";
import { useConnections, useCreateAccessRequest } from "./hooks";
import { Alert, Badge, buttonClass, Card, Empty, Field, Loading, PageHeader } from "./ui";

export function Catalog({ canRequest }: { canRequest: boolean }) {
  const connections = useConnections();
  return (
    <div>
      <PageHeader title="Catalog" description="MCP servers you can ask for. Access is time-boxed: pick how long you need it and say why." />
      {connections.isPending ? (
        <Loading label="Loading connections…" />
      ) : connections.isError ? (
        <Alert>{errorMessage(connections.error)}</Alert>
      ) : connections.data.length === 0 ? (
        <Card>
          <Empty>No MCP servers are registered yet. An admin can add one under Connections.</Empty>
        </Card>
      ) : (
        <div className="grid gap-4 md:grid-cols-2 xl:grid-cols-3">
          {connections.data.map((connection) => (
            <ConnectionCard key={connection.id} connection={connection} canRequest={canRequest} />
          ))}
        </div>
      )}
    </div>
  );
}

function ConnectionCard({ connection, canRequest }: { connection: ConnectionView; canRequest: boolean }) {
  const headingId = useId();
  return (
    <article
      aria-labelledby={headingId}
      data-slug={connection.slug}
      className="flex flex-col rounded-lg border border-gray-200 bg-white shadow-xs"
    >
      <div className="border-b border-gray-100 px-4 pt-4 pb-3">
        <div className="flex items-start justify-between gap-2">
          <h2 id={headingId} className="text-base font-semibold text-gray-900">
            {connection.name}
          </h2>
          <Badge tone="indigo">{transportLabel(connection.transport)}</Badge>
        </div>
        <p className="mt-0.5 font-mono text-xs text-gray-500">{connection.slug}</p>
        {connection.description ? <p className="mt-2 text-gray-700">{connection.description}</p> : null}
        <p className="mt-2 text-xs text-gray-500">
          Max duration: <span className="font-medium text-gray-700">{formatMinutes(connection.maxMinutes)}</span>
        </p>
        <ConnectionGuardrails slug={connection.slug} />
      </div>
      <div className="mt-auto px-4 py-3">
        {canRequest ? (
          <RequestAccessForm connection={connection} />
        ) : (
          <p className="text-xs text-gray-500">Your roles do not include requesting access.</p>
        )}
      </div>
    </article>
  );
}

/**
 * Minutes and reason, checked in the browser by the schema POST /api/v1/access-requests parses
 * with (plus this connection's maximum) before anything is sent; every problem shows at its field.
 */
function RequestAccessForm({ connection }: { connection: ConnectionView }) {
  const id = useId();
  const defaultMinutes = Math.min(15, connection.maxMinutes);
  const [sent, setSent] = useState<AccessRequestView | null>(null);
  const create = useCreateAccessRequest();
  const schema = useMemo(() => createAccessRequestSchemaFor(connection), [connection]);
  const defaultValues = { connection: connection.slug, minutes: defaultMinutes, reason: "" };
  const {
    register,
    handleSubmit,
    reset,
    setError,
    formState: { errors },
  } = useForm({ resolver: zodResolver(schema), defaultValues });

  const submit = handleSubmit((body) =>
    create.mutate(body, {
      onSuccess: (request) => {
        setSent(request);
        reset(defaultValues);
      },
      onError: (error) => showServerError(error, setError, sameNames(["minutes", "reason"])),
    }),
  );

  if (sent) {
    return (
      <div className="space-y-2">
        <Alert tone="green">
          {sent.status === "APPROVED" ? (
            <>
              Access granted — {formatMinutes(sent.minutes)} on {connection.name}.
            </>
          ) : (
            <>Request sent — waiting for approval</>
          )}{" "}
          <Link href="/access" className="font-medium underline underline-offset-2">
            Go to My access
          </Link>
        </Alert>
        <button
          type="button"
          className={buttonClass("ghost", "sm")}
          onClick={() => {
            setSent(null);
            create.reset();
          }}
        >
          New request
        </button>
      </div>
    );
  }

  return (
    <form onSubmit={submit} className="space-y-2" noValidate>
      <div className="flex gap-3">
        <Field id={`${id}-minutes`} label="Minutes" error={fieldMessage(errors.minutes)} className="w-28 shrink-0">
          {(control) => (
            <input
              {...control}
              {...register("minutes", { valueAsNumber: true })}
              type="number"
              inputMode="numeric"
              min={1}
              max={connection.maxMinutes}
              step={1}
              required
            />
          )}
        </Field>
        <Field id={`${id}-reason`} label="Reason" error={fieldMessage(errors.reason)} className="min-w-0 flex-1">
          {(control) => (
            <textarea {...control} {...register("reason")} required rows={2} placeholder="e.g. INC-1234: check the failing deploy" />
          )}
        </Field>
      </div>
      {errors.root?.server ? <Alert>{errors.root.server.message}</Alert> : null}
      <div className="flex justify-end">
        <button type="submit" className={buttonClass("primary")} disabled={create.isPending}>
          Request access
        </button>
      </div>
    </form>
  );
}
