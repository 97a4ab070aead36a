"use client";

import { useId, useState, type FormEvent } from "react";
import type { CreatedApiToken } from "@/lib/tokens/create-api-token";
import type { ApiTokenView } from "@/lib/tokens/present";
import { ApiError, errorMessage } from "./api";
import { formatDateTime } from "./format";
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from "./hooks";
import { CopyButton, useNow } from "./live";
import { Alert, Card, Empty, FieldError, Loading, StatusBadge, buttonClass, inputClass, labelClass, tableClass, tdClass, thClass } from "./ui";

type ApiTokenStatus = "ACTIVE" | "EXPIRED" | "REVOKED";

function tokenStatus(token: ApiTokenView, now: number): ApiTokenStatus {
  if (token.revokedAt) return "REVOKED";
  return token.expiresAt && Date.parse(token.expiresAt) <= now ? "EXPIRED" : "ACTIVE";
}

/** Personal API tokens for scripts and the CLI: create (shown once), list, revoke. */
export function ApiTokens() {
  const tokens = useApiTokens();
  const revoke = useRevokeApiToken();
  // The plaintext lives only in this component's memory: shown once, gone on navigation.
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const now = useNow(30_000);

  return (
    <Card title="Personal API tokens" aria-label="Personal API tokens" bodyClassName="p-0">
      <div className="space-y-4 border-b border-gray-200 px-4 py-4">
        <p className="text-sm text-gray-600">
          For scripts and the <code className="font-mono text-gray-900">tollgate</code> CLI:{" "}
          <code className="rounded bg-gray-100 px-1 py-0.5 font-mono text-xs text-gray-900">export TOLLGATE_TOKEN=…</code>, or send it as{" "}
          <code className="rounded bg-gray-100 px-1 py-0.5 font-mono text-xs text-gray-900">Authorization: Bearer tg_…</code> to{" "}
          <code className="font-mono text-gray-900">/api/v1</code>. A token acts as you, with your roles, until it expires or you revoke it.
        </p>
        <CreateApiTokenForm onCreated={setCreated} />
        {created ? <CreatedTokenBox created={created} onDismiss={() => setCreated(null)} /> : null}
      </div>
      {revoke.error ? (
        <div className="px-4 pt-4">
          <Alert>{errorMessage(revoke.error)}</Alert>
        </div>
      ) : null}
      {tokens.isPending ? (
        <Loading label="Loading API tokens…" />
      ) : tokens.isError ? (
        <div className="p-4">
          <Alert>{errorMessage(tokens.error)}</Alert>
        </div>
      ) : tokens.data.length === 0 ? (
        <Empty>You have no API tokens yet.</Empty>
      ) : (
        <div className="overflow-x-auto">
          <table className={tableClass}>
            <thead className="bg-gray-50">
              <tr>
                <th className={thClass}>Name</th>
                <th className={thClass}>Token</th>
                <th className={thClass}>Created</th>
                <th className={thClass}>Last used</th>
                <th className={thClass}>Expires</th>
                <th className={thClass}>Status</th>
                <th className={thClass}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100">
              {tokens.data.map((token) => {
                const status = tokenStatus(token, now);
                return (
                  <tr key={token.id} aria-label={token.name}>
                    <td className={`${tdClass} font-medium break-all`}>{token.name}</td>
                    <td className={`${tdClass} font-mono text-xs whitespace-nowrap text-gray-600`}>{token.prefix}…</td>
                    <td className={`${tdClass} whitespace-nowrap`}>{formatDateTime(token.createdAt)}</td>
                    <td className={`${tdClass} whitespace-nowrap`}>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : "never"}</td>
                    <td className={`${tdClass} whitespace-nowrap`}>{token.expiresAt ? formatDateTime(token.expiresAt) : "never"}</td>
                    <td className={tdClass}>
                      <StatusBadge status={status} />
                    </td>
                    <td className={`${tdClass} text-right`}>
                      {status === "ACTIVE" ? (
                        <button
                          type="button"
                          className={buttonClass("danger", "sm")}
                          disabled={revoke.isPending && revoke.variables === token.id}
                          onClick={() =>
                            revoke.mutate(token.id, {
                              // Revoking the token just shown: its plaintext is of no use any more.
                              onSuccess: () => setCreated((current) => (current?.id === token.id ? null : current)),
                            })
                          }
                        >
                          Revoke
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function CreateApiTokenForm({ onCreated }: { onCreated: (created: CreatedApiToken) => void }) {
  const id = useId();
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const create = useCreateApiToken();

  const apiError = create.error instanceof ApiError ? create.error : null;
  const fieldError = (field: string) => (apiError?.field === field ? apiError.message : null);
  const formError = create.error && !(apiError?.field === "name" || apiError?.field === "expiresInDays") ? errorMessage(create.error) : null;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const body: { name: string; expiresInDays?: number } = { name: name.trim() };
    if (days.trim()) body.expiresInDays = Number(days);
    create.mutate(body, {
      onSuccess: (created) => {
        onCreated(created);
        setName("");
        setDays("");
      },
    });
  }

  const nameId = `${id}-name`;
  const daysId = `${id}-days`;
  return (
    <form onSubmit={submit} className="flex flex-wrap items-start gap-3" noValidate>
      <div className="min-w-48 flex-1">
        <label htmlFor={nameId} className={labelClass}>
          Token name
        </label>
        <input
          id={nameId}
          name="name"
          type="text"
          required
          maxLength={80}
          autoComplete="off"
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="e.g. ci-script"
          aria-invalid={fieldError("name") ? true : undefined}
          aria-describedby={fieldError("name") ? `${nameId}-error` : undefined}
          className={inputClass}
        />
        <FieldError id={`${nameId}-error`} message={fieldError("name")} />
      </div>
      <div className="w-40 shrink-0">
        <label htmlFor={daysId} className={labelClass}>
          Expires in days
        </label>
        <input
          id={daysId}
          name="expiresInDays"
          type="number"
          inputMode="numeric"
          min={1}
          max={365}
          step={1}
          value={days}
          onChange={(event) => setDays(event.target.value)}
          placeholder="never"
          aria-invalid={fieldError("expiresInDays") ? true : undefined}
          aria-describedby={fieldError("expiresInDays") ? `${daysId}-error` : undefined}
          className={inputClass}
        />
        <FieldError id={`${daysId}-error`} message={fieldError("expiresInDays")} />
      </div>
      <div className="pt-5">
        <button type="submit" className={buttonClass("primary")} disabled={create.isPending}>
          Create API token
        </button>
      </div>
      {formError ? <Alert className="w-full">{formError}</Alert> : null}
    </form>
  );
}

function CreatedTokenBox({ created, onDismiss }: { created: CreatedApiToken; onDismiss: () => void }) {
  return (
    <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3">
      <p className="text-sm font-semibold text-amber-900">Your new API token “{created.name}”</p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <code
          data-testid="api-token"
          className="rounded border border-amber-200 bg-white px-2 py-1 font-mono text-sm break-all text-gray-900 select-all"
        >
          {created.token}
        </code>
        <CopyButton text={created.token} label="Copy token" />
        <button type="button" className={buttonClass("ghost", "sm")} onClick={onDismiss}>
          Done
        </button>
      </div>
      <p className="mt-2 text-xs text-amber-900">
        Copy it now — it won&apos;t be shown again. It is stored only as a hash;{" "}
        {created.expiresAt ? <>it expires {formatDateTime(created.expiresAt)}.</> : <>it does not expire until you revoke it.</>}
      </p>
    </div>
  );
}
