"use client";

import Link from "next/link";
import { useState } from "react";
import type { GrantView } from "@/lib/access/present";
import { errorMessage } from "./api";
import { ApiTokens } from "./api-tokens";
import { ClientConfigs } from "./client-configs";
import {
  type MintedToken,
  useAccessRequests,
  useCancelAccessRequest,
  useGatewayTokens,
  useGrants,
  useMe,
  useMintToken,
  useRevokeGatewayToken,
  useRevokeGrant,
} from "./hooks";
import { Countdown, OneTimeSecret } from "./live";
import { MyHeldCalls } from "./my-held-calls";
import { Time, TimeZoneNote } from "./time";
import { Alert, buttonClass, Card, DataTable, PageHeader, QueryState, StatusBadge, tdClass } from "./ui";

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

      <MyHeldCalls />

      <Card title="Active grants" bodyClassName="p-0">
        <QueryState
          query={grants}
          isEmpty={() => active.length === 0}
          empty={
            <>
              No active grants.{" "}
              <Link href="/" className="text-indigo-700 underline underline-offset-2">
                Request access
              </Link>{" "}
              from the catalog.
            </>
          }
        >
          {() => (
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
        </QueryState>
      </Card>

      <Card title="My requests" actions={<TimeZoneNote />} bodyClassName="p-0">
        <QueryState query={requests} empty="You have not requested access yet.">
          {(mine) => (
            <DataTable
              headers={[
                "Connection",
                "Minutes",
                "Reason",
                "Status",
                "Created",
                "Decision",
                { label: <span className="sr-only">Actions</span> },
              ]}
            >
              {mine.map((request) => (
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
                  <td className={`${tdClass} whitespace-nowrap`}>
                    <Time iso={request.createdAt} />
                  </td>
                  <td className={tdClass}>
                    {request.approvals.length === 0 ? (
                      <span className="text-gray-400">—</span>
                    ) : (
                      <ul className="space-y-1">
                        {request.approvals.map((approval) => (
                          <li key={approval.approver.email}>
                            <span className="text-gray-900">{approval.approver.email}</span>{" "}
                            <span className="text-xs text-gray-500">
                              {approval.decision === "APPROVE" ? "approved" : "denied"} <Time iso={approval.createdAt} />
                            </span>
                            {approval.comment ? <p className="text-gray-700 italic">“{approval.comment}”</p> : null}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td className={`${tdClass} text-right`}>
                    {request.status === "PENDING" ? <CancelRequestButton requestId={request.id} /> : null}
                  </td>
                </tr>
              ))}
            </DataTable>
          )}
        </QueryState>
      </Card>

      {past.length > 0 ? (
        <details className="rounded-lg border border-gray-200 bg-white shadow-xs">
          <summary className="cursor-pointer px-4 py-3 text-sm font-semibold text-gray-900 select-none">
            Past grants ({past.length})
          </summary>
          <DataTable headers={["Connection", "Status", "Started", "Ended"]} className="border-t border-gray-200">
            {past.map((grant) => (
              <tr key={grant.id}>
                <td className={tdClass}>{grant.connection?.name ?? grant.connection?.slug ?? "—"}</td>
                <td className={tdClass}>
                  <StatusBadge status={grant.status} />
                </td>
                <td className={tdClass}>
                  <Time iso={grant.startsAt} />
                </td>
                <td className={tdClass}>
                  <Time iso={grant.revokedAt ?? grant.expiresAt} />
                </td>
              </tr>
            ))}
          </DataTable>
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
        <OneTimeSecret title="Your gateway token" secret={minted.token} testId="gateway-token">
          Copy it now — it won&apos;t be shown again. It works only for this grant and stops working when the grant expires (
          <Time iso={minted.expiresAt} zone />) or is revoked.
        </OneTimeSecret>
      ) : null}
      <ClientConfigs gatewayUrl={gatewayUrl} slug={slug} token={minted?.token ?? null} />
      <GatewayTokenList grantId={grant.id} />
    </article>
  );
}

/** The grant's gateway tokens by prefix, so a leaked one can be revoked without giving up access. */
function GatewayTokenList({ grantId }: { grantId: string }) {
  const tokens = useGatewayTokens(grantId);
  const revoke = useRevokeGatewayToken();
  if (!tokens.data || tokens.data.length === 0) return null;
  return (
    <section className="space-y-1" aria-label="Gateway tokens">
      <h4 className="text-xs font-semibold tracking-wide text-gray-500 uppercase">Gateway tokens for this grant</h4>
      <ul className="divide-y divide-gray-100 rounded-md border border-gray-200 text-sm">
        {tokens.data.map((token) => (
          <li key={token.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 px-3 py-1.5" data-testid="gateway-token-row">
            <code className="font-mono text-xs">{token.prefix}…</code>
            <span className="text-xs text-gray-500">
              created <Time iso={token.createdAt} zone />
            </span>
            <span className="text-xs text-gray-500">
              {token.lastUsedAt ? (
                <>
                  last used <Time iso={token.lastUsedAt} zone />
                </>
              ) : (
                "never used"
              )}
            </span>
            <span className="ml-auto">
              {token.revokedAt ? (
                <StatusBadge status="REVOKED" />
              ) : (
                <button
                  type="button"
                  className={buttonClass("secondary", "sm")}
                  disabled={revoke.isPending}
                  onClick={() => revoke.mutate({ id: token.id, grantId })}
                >
                  Revoke token
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
      {revoke.isError ? <Alert>{errorMessage(revoke.error)}</Alert> : null}
    </section>
  );
}

function CancelRequestButton({ requestId }: { requestId: string }) {
  const cancel = useCancelAccessRequest();
  return (
    <div className="space-y-1">
      <button type="button" className={buttonClass("secondary", "sm")} disabled={cancel.isPending} onClick={() => cancel.mutate(requestId)}>
        {cancel.isPending ? "Cancelling…" : "Cancel request"}
      </button>
      {cancel.isError ? <Alert>{errorMessage(cancel.error)}</Alert> : null}
    </div>
  );
}
