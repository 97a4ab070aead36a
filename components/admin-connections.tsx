"use client";

import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError, errorMessage } from "./api";
import { formatDateTime, formatMinutes, transportLabel } from "./format";
import { useConnections, useCreateConnection, type CreateConnectionBody } from "./hooks";
import { Alert, Badge, Card, DataTable, FieldError, PageHeader, QueryState, buttonClass, inputClass, labelClass, tdClass, type ControlProps } from "./ui";

export function AdminConnections() {
  const connections = useConnections();
  return (
    <div className="space-y-6">
      <PageHeader title="Connections" description="MCP servers people can request access to. Credentials are write-only." />
      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(24rem,2fr)]">
        <Card title="Registered connections" bodyClassName="p-0">
          <QueryState query={connections} empty="No connections yet. Add the first one.">
            {(list) => (
              <DataTable headers={["Name", "Transport", "Upstream", "Max", "Credential", "Created"]}>
                {list.map((connection) => (
                  <tr key={connection.id}>
                    <td className={tdClass}>
                      <div className="font-medium">{connection.name}</div>
                      <div className="font-mono text-xs text-gray-500">{connection.slug}</div>
                    </td>
                    <td className={tdClass}>
                      <Badge tone="indigo">{transportLabel(connection.transport)}</Badge>
                    </td>
                    <td className={`${tdClass} max-w-xs min-w-56 font-mono text-xs break-all`}>
                      {connection.transport === "stdio"
                        ? [connection.command, ...(connection.args ?? [])].filter(Boolean).join(" ")
                        : connection.url}
                    </td>
                    <td className={`${tdClass} whitespace-nowrap`}>{formatMinutes(connection.maxMinutes)}</td>
                    <td className={tdClass}>
                      {connection.hasCredential ? <Badge tone="green">credential set</Badge> : <span className="text-gray-400">none</span>}
                    </td>
                    <td className={`${tdClass} whitespace-nowrap`}>{formatDateTime(connection.createdAt)}</td>
                  </tr>
                ))}
              </DataTable>
            )}
          </QueryState>
        </Card>
        <AddConnectionForm />
      </div>
    </div>
  );
}

type FieldName =
  | "slug"
  | "name"
  | "description"
  | "transport"
  | "url"
  | "command"
  | "args"
  | "credentialHeader"
  | "credentialValue"
  | "maxMinutes";

/** Maps an API `error.field` ("url", "args.2", "headers.X-Api-Key", "env", …) to a form field. */
function formField(field: string | undefined): FieldName | null {
  if (!field) return null;
  const head = field.split(/[.[]/)[0];
  switch (head) {
    case "slug":
    case "name":
    case "description":
    case "transport":
    case "url":
    case "command":
    case "args":
    case "maxMinutes":
      return head;
    case "headers":
    case "env":
    case "credential":
      return "credentialHeader";
    default:
      return null;
  }
}

const EMPTY = {
  slug: "",
  name: "",
  description: "",
  transport: "streamable-http" as "streamable-http" | "stdio",
  url: "",
  command: "",
  args: "",
  credentialHeader: "",
  credentialValue: "",
  maxMinutes: "60",
};

function AddConnectionForm() {
  const [form, setForm] = useState(EMPTY);
  const [localErrors, setLocalErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [created, setCreated] = useState<string | null>(null);
  const create = useCreateConnection();

  const apiError = create.error instanceof ApiError ? create.error : null;
  const apiField = formField(apiError?.field);
  const errorFor = (field: FieldName) => localErrors[field] ?? (apiField === field ? apiError?.message : undefined);
  const formError = create.error && !apiField ? errorMessage(create.error) : null;
  const stdio = form.transport === "stdio";

  function set<K extends keyof typeof EMPTY>(key: K, value: (typeof EMPTY)[K]) {
    setForm((current) => ({ ...current, [key]: value }));
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated(null);
    const header = form.credentialHeader.trim();
    const value = form.credentialValue;
    const errors: Partial<Record<FieldName, string>> = {};
    if (header && !value) errors.credentialValue = "Enter the credential value, or clear the credential header.";
    if (!header && value) errors.credentialHeader = stdio ? "Name the environment variable for this credential." : "Name the header this credential is sent in.";
    setLocalErrors(errors);
    if (Object.keys(errors).length) return;

    const credential = header ? { [header]: value } : undefined;
    const base = {
      slug: form.slug.trim(),
      name: form.name.trim(),
      ...(form.description.trim() ? { description: form.description.trim() } : {}),
      maxMinutes: Number(form.maxMinutes),
    };
    const body: CreateConnectionBody = stdio
      ? {
          ...base,
          transport: "stdio",
          command: form.command.trim(),
          args: form.args
            .split("\n")
            .map((line) => line.trim())
            .filter(Boolean),
          ...(credential ? { env: credential } : {}),
        }
      : { ...base, transport: "streamable-http", url: form.url.trim(), ...(credential ? { headers: credential } : {}) };

    create.mutate(body, {
      onSuccess: (connection) => {
        setCreated(connection.slug);
        setForm(EMPTY);
      },
    });
  }

  return (
    <Card title="Add connection">
      <form onSubmit={submit} noValidate className="space-y-3">
        <div className="grid grid-cols-2 gap-3">
          <Field id="connection-slug" label="Slug" error={errorFor("slug")} hint="lowercase, digits, dashes">
            {(props) => (
              <input {...props} value={form.slug} onChange={(e) => set("slug", e.target.value)} placeholder="github-prod" autoComplete="off" />
            )}
          </Field>
          <Field id="connection-name" label="Name" error={errorFor("name")}>
            {(props) => <input {...props} value={form.name} onChange={(e) => set("name", e.target.value)} placeholder="GitHub (prod)" />}
          </Field>
        </div>
        <Field id="connection-description" label="Description" error={errorFor("description")}>
          {(props) => <textarea {...props} rows={2} value={form.description} onChange={(e) => set("description", e.target.value)} />}
        </Field>
        <div className="grid grid-cols-2 gap-3">
          <Field id="connection-transport" label="Transport" error={errorFor("transport")}>
            {(props) => (
              <select
                {...props}
                value={form.transport}
                onChange={(e) => set("transport", e.target.value === "stdio" ? "stdio" : "streamable-http")}
              >
                <option value="streamable-http">Streamable HTTP</option>
                <option value="stdio">stdio</option>
              </select>
            )}
          </Field>
          <Field id="connection-max-minutes" label="Max minutes" error={errorFor("maxMinutes")}>
            {(props) => (
              <input {...props} type="number" min={1} max={1440} step={1} value={form.maxMinutes} onChange={(e) => set("maxMinutes", e.target.value)} />
            )}
          </Field>
        </div>
        {stdio ? (
          <>
            <Field id="connection-command" label="Command" error={errorFor("command")}>
              {(props) => <input {...props} value={form.command} onChange={(e) => set("command", e.target.value)} placeholder="npx" className={`${inputClass} font-mono`} />}
            </Field>
            <Field id="connection-args" label="Arguments" error={errorFor("args")} hint="one per line">
              {(props) => (
                <textarea
                  {...props}
                  rows={3}
                  value={form.args}
                  onChange={(e) => set("args", e.target.value)}
                  placeholder={"@modelcontextprotocol/server-everything\nstdio"}
                  className={`${inputClass} font-mono`}
                />
              )}
            </Field>
          </>
        ) : (
          <Field id="connection-url" label="URL" error={errorFor("url")}>
            {(props) => (
              <input {...props} type="url" value={form.url} onChange={(e) => set("url", e.target.value)} placeholder="https://mcp.example.com/mcp" className={`${inputClass} font-mono`} />
            )}
          </Field>
        )}
        <fieldset className="rounded-md border border-gray-200 p-3">
          <legend className="px-1 text-xs font-medium text-gray-700">Upstream credential (optional)</legend>
          <p className="mb-2 text-xs text-gray-500">
            {stdio ? "Passed to the stdio process as an environment variable" : "Injected as a request header"} by the gateway; callers
            never see it. Write-only: stored encrypted, never shown again.
          </p>
          <div className="grid grid-cols-2 gap-3">
            <Field id="connection-credential-header" label="Credential header" error={errorFor("credentialHeader")}>
              {(props) => (
                <input
                  {...props}
                  value={form.credentialHeader}
                  onChange={(e) => set("credentialHeader", e.target.value)}
                  placeholder={stdio ? "GITHUB_TOKEN" : "Authorization"}
                  autoComplete="off"
                  className={`${inputClass} font-mono`}
                />
              )}
            </Field>
            <Field id="connection-credential-value" label="Credential value" error={errorFor("credentialValue")}>
              {(props) => (
                <input
                  {...props}
                  type="password"
                  value={form.credentialValue}
                  onChange={(e) => set("credentialValue", e.target.value)}
                  autoComplete="new-password"
                  placeholder="write-only"
                />
              )}
            </Field>
          </div>
        </fieldset>
        {formError ? <Alert>{formError}</Alert> : null}
        {created ? <Alert tone="green">Connection {created} added.</Alert> : null}
        <div className="flex justify-end">
          <button type="submit" className={buttonClass("primary")} disabled={create.isPending}>
            Add connection
          </button>
        </div>
      </form>
    </Card>
  );
}

/** Like ui's `Field`, with a hint beside the label and a `name` taken from the id. */
function Field({
  id,
  label,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  error?: string;
  hint?: string;
  children: (props: ControlProps & { name: string }) => ReactNode;
}) {
  const errorId = `${id}-error`;
  return (
    <div>
      <div className="flex items-baseline justify-between gap-2">
        <label htmlFor={id} className={labelClass}>
          {label}
        </label>
        {hint ? <span className="text-xs text-gray-400">{hint}</span> : null}
      </div>
      {children({
        id,
        name: id.replace(/^connection-/, ""),
        className: inputClass,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": error ? errorId : undefined,
      })}
      <FieldError id={errorId} message={error} />
    </div>
  );
}
