"use client";

import Link from "next/link";
import { useState } from "react";
import type { GrantView } from "@/lib/access/present";
import { errorMessage } from "./api";
import { ApiTokens } from "./api-tokens";
import { ClientConfigs } from "./client-configs";
import { formatDateTime } from "./format";
import { useAccessRequests, useGrants, useMe, useMintToken, useRevokeGrant, type MintedToken } from "./hooks";
import { CopyButton, Countdown } from "./live";
import { Alert, Card, Empty, Loading, PageHeader, StatusBadge, buttonClass, tableClass, tdClass, thClass } from "./ui";

export function MyAccess() {
  const me = useMe();
  const grants = useGrants("mine");
  const requests = useAccessRequests("mine");
  // Plaintext tokens live only in this component's memory: shown once, gone on navigation.
  const [tokens, setTokens] = useState<Record<string, MintedToken>>({});

  const active = (grants.data ?? []).filter((grant) => grant.status === "ACTIVE");
  const past = (grants.data ?? []).filter((grant) => grant.status !== "ACTIVE");

  return (
    <div className="space-y-6">
      <PageHeader title="My access" description="Your grants, gateway tokens, access requests and personal API tokens." />

      <Card title="Active grants" bodyClassName="p-0">
        {grants.isPending ? (
          <Loading />
        ) : grants.isError ? (
          <div className="p-4">
            <Alert>{errorMessage(grants.error)}</Alert>
          </div>
        ) : active.length === 0 ? (
          <Empty>
            No active grants. <Link href="/" className="text-indigo-700 underline underline-offset-2">Request access</Link> from the
            catalog.
          </Empty>
        ) : (
          <ul className="divide-y divide-gray-200">
            {active.map((grant) => (
              <li key={grant.id}>
                <ActiveGrant
                  grant={grant}
                  gatewayUrl={me.data?.gatewayUrl}
                  minted={tokens[grant.id] ?? null}
                  onMinted={(token) => setTokens((current) => ({ ...current, [grant.id]: token }))}
                />
              </li>
            ))}
          </ul>
        )}
      </Card>

      <Card title="My requests" bodyClassName="p-0">
        {requests.isPending ? (
          <Loading />
        ) : requests.isError ? (
          <div className="p-4">
            <Alert>{errorMessage(requests.error)}</Alert>
          </div>
        ) : requests.data.length === 0 ? (
          <Empty>You have not requested access yet.</Empty>
        ) : (
          <div className="overflow-x-auto">
            <table className={tableClass}>
              <thead className="bg-gray-50">
                <tr>
                  <th className={thClass}>Connection</th>
                  <th className={thClass}>Minutes</th>
                  <th className={thClass}>Reason</th>
                  <th className={thClass}>Status</th>
                  <th className={thClass}>Created</th>
                  <th className={thClass}>Decision</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-gray-100">
                {requests.data.map((request) => (
                  <tr key={request.id}>
                    <td className={tdClass}>
                      <div className="font-medium">{request.connection.name}</div>
                      <div className="font-mono text-xs text-gray-500">{request.connection.slug}</div>
                    </td>
                    <td className={`${tdClass} tabular-nums`}>{request.minutes}</td>
                    <td className={`${tdClass} max-w-xs break-words whitespace-pre-wrap`}>{request.reason}</td>
                    <td className={tdClass}>
                      <StatusBadge status={request.status} />
                    </td>
                    <td className={`${tdClass} whitespace-nowrap`}>{formatDateTime(request.createdAt)}</td>
                    <td className={tdClass}>
                      {request.approvals.length === 0 ? (
                        <span className="text-gray-400">—</span>
                      ) : (
                        <ul className="space-y-1">
                          {request.approvals.map((approval, index) => (
                            <li key={index}>
                              <span className="text-gray-900">{approval.approver.email}</span>{" "}
                              <span className="text-xs text-gray-500">
                                {approval.decision === "APPROVE" ? "approved" : "denied"} {formatDateTime(approval.createdAt)}
                              </span>
                              {approval.comment ? <p className="text-gray-700 italic">“{approval.comment}”</p> : null}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>

      {past.length > 0 ? (
        <details className="rounded-lg border border-gray-200 bg-white shadow-xs">
          <summary className="cursor-pointer px-4 py-3 text-sm font-semibold text-gray-900 select-none">
            Past grants ({past.length})
          </summary>
          <div className="overflow-x-auto border-t border-gray-200">
            <table className={tableClass}>
              <thead className="bg-gray-50">
                <tr>
                  <th className={thClass}>Connection</th>
                  <th className={thClass}>Status</th>
                  <th className={thClass}>Started</th>
                  <th className={thClass}>Ended</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-gray-100">
                {past.map((grant) => (
                  <tr key={grant.id}>
                    <td className={tdClass}>{grant.connection?.name ?? grant.connection?.slug ?? "—"}</td>
                    <td className={tdClass}>
                      <StatusBadge status={grant.status} />
                    </td>
                    <td className={tdClass}>{formatDateTime(grant.startsAt)}</td>
                    <td className={tdClass}>{formatDateTime(grant.revokedAt ?? grant.expiresAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      ) : null}

      <ApiTokens />
    </div>
  );
}

function ActiveGrant({
  grant,
  gatewayUrl,
  minted,
  onMinted,
}: {
  grant: GrantView;
  gatewayUrl: string | undefined;
  minted: MintedToken | null;
  onMinted: (token: MintedToken) => void;
}) {
  const mint = useMintToken();
  const revoke = useRevokeGrant();
  const slug = grant.connection?.slug ?? "";
  const name = grant.connection?.name ?? slug;
  const error = mint.error ?? revoke.error;

  return (
    <article aria-label={name} className="space-y-3 px-4 py-4">
      <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
        <div className="min-w-0">
          <h3 className="text-sm font-semibold text-gray-900">{name}</h3>
          <p className="font-mono text-xs text-gray-500">{slug}</p>
        </div>
        <div className="text-sm text-gray-600">
          <Countdown expiresAt={grant.expiresAt} className="text-base" /> <span className="text-xs">remaining</span>
        </div>
        <div className="ml-auto flex gap-2">
          <button
            type="button"
            className={buttonClass("primary")}
            disabled={mint.isPending}
            onClick={() => mint.mutate(grant.id, { onSuccess: onMinted })}
          >
            Create gateway token
          </button>
          <button type="button" className={buttonClass("danger")} disabled={revoke.isPending} onClick={() => revoke.mutate(grant.id)}>
            Give up access
          </button>
        </div>
      </div>
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
      {minted ? (
        <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3">
          <p className="text-sm font-semibold text-amber-900">Your gateway token</p>
          <div className="mt-2 flex flex-wrap items-center gap-2">
            <code
              data-testid="gateway-token"
              className="rounded border border-amber-200 bg-white px-2 py-1 font-mono text-sm break-all text-gray-900 select-all"
            >
              {minted.token}
            </code>
            <CopyButton text={minted.token} label="Copy token" />
          </div>
          <p className="mt-2 text-xs text-amber-900">
            Copy it now — it won&apos;t be shown again. It works only for this grant and stops working when the grant expires (
            {formatDateTime(minted.expiresAt)}) or is revoked.
          </p>
        </div>
      ) : null}
      <ClientConfigs gatewayUrl={gatewayUrl} slug={slug} token={minted?.token ?? null} />
    </article>
  );
}
