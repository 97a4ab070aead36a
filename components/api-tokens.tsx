"use client";

import { zodResolver } from "@hookform/resolvers/zod";
import { useId, useState } from "react";
import { useForm } from "react-hook-form";
import type { CreatedApiToken } from "@/lib/tokens/create-api-token";
import type { ApiTokenView } from "@/lib/tokens/present";
import { createApiTokenSchema } from "@/lib/tokens/schema";
import { errorMessage } from "./api";
import { fieldMessage, optionalNumber, sameNames, showServerError } from "./form";
import { useApiTokens, useCreateApiToken, useRevokeApiToken } from "./hooks";
import { OneTimeSecret, useNow } from "./live";
import { Time, TimeZoneNote } from "./time";
import { Alert, buttonClass, Card, DataTable, Field, QueryState, StatusBadge, tdClass } from "./ui";

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
    <Card title="Personal API tokens" aria-label="Personal API tokens" actions={<TimeZoneNote />} bodyClassName="p-0">
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
      <QueryState query={tokens} loadingLabel="Loading API tokens…" empty="You have no API tokens yet.">
        {(list) => (
          <DataTable
            headers={["Name", "Token", "Created", "Last used", "Expires", "Status", { label: <span className="sr-only">Actions</span> }]}
          >
            {list.map((token) => {
              const status = tokenStatus(token, now);
              return (
                <tr key={token.id} aria-label={token.name}>
                  <td className={`${tdClass} font-medium break-all`}>{token.name}</td>
                  <td className={`${tdClass} font-mono text-xs whitespace-nowrap text-gray-600`}>{token.prefix}…</td>
                  <td className={`${tdClass} whitespace-nowrap`}>
                    <Time iso={token.createdAt} />
                  </td>
                  <td className={`${tdClass} whitespace-nowrap`}>{token.lastUsedAt ? <Time iso={token.lastUsedAt} /> : "never"}</td>
                  <td className={`${tdClass} whitespace-nowrap`}>{token.expiresAt ? <Time iso={token.expiresAt} /> : "never"}</td>
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
          </DataTable>
        )}
      </QueryState>
    </Card>
  );
}

/** Name and optional expiry, checked by the schema POST /api/v1/api-tokens parses with before sending. */
function CreateApiTokenForm({ onCreated }: { onCreated: (created: CreatedApiToken) => void }) {
  const id = useId();
  const create = useCreateApiToken();
  const {
    register,
    handleSubmit,
    reset,
    setError,
    formState: { errors },
  } = useForm({ resolver: zodResolver(createApiTokenSchema), defaultValues: { name: "", expiresInDays: undefined } });

  const submit = handleSubmit((body) =>
    create.mutate(body, {
      onSuccess: (created) => {
        onCreated(created);
        reset();
      },
      onError: (error) => showServerError(error, setError, sameNames(["name", "expiresInDays"])),
    }),
  );

  return (
    <form onSubmit={submit} className="flex flex-wrap items-start gap-3" noValidate>
      <Field id={`${id}-name`} label="Token name" error={fieldMessage(errors.name)} className="min-w-48 flex-1">
        {(control) => <input {...control} {...register("name")} type="text" required autoComplete="off" placeholder="e.g. ci-script" />}
      </Field>
      <Field id={`${id}-days`} label="Expires in days" error={fieldMessage(errors.expiresInDays)} className="w-40 shrink-0">
        {(control) => (
          <input
            {...control}
            // Empty means "never": the field is left out of the body.
            {...register("expiresInDays", { setValueAs: optionalNumber })}
            type="number"
            inputMode="numeric"
            min={1}
            max={365}
            step={1}
            placeholder="never"
          />
        )}
      </Field>
      <div className="pt-5">
        <button type="submit" className={buttonClass("primary")} disabled={create.isPending}>
          Create API token
        </button>
      </div>
      {errors.root?.server ? <Alert className="w-full">{errors.root.server.message}</Alert> : null}
    </form>
  );
}

function CreatedTokenBox({ created, onDismiss }: { created: CreatedApiToken; onDismiss: () => void }) {
  return (
    <OneTimeSecret
      title={<>Your new API token “{created.name}”</>}
      secret={created.token}
      testId="api-token"
      actions={
        <button type="button" className={buttonClass("ghost", "sm")} onClick={onDismiss}>
          Done
        </button>
      }
    >
      Copy it now — it won&apos;t be shown again. It is stored only as a hash;{" "}
      {created.expiresAt ? (
        <>
          it expires <Time iso={created.expiresAt} zone />.
        </>
      ) : (
        <>it does not expire until you revoke it.</>
      )}
    </OneTimeSecret>
  );
}
