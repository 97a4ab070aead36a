"use client";

import { type FormEvent, type ReactNode, useState } from "react";
import type { ConnectionView } from "@/lib/connections/present-connection";
import { ApiError, errorMessage } from "./api";
import { formatDateTime, formatMinutes, transportLabel } from "./format";
import { type CreateConnectionBody, type UpdateConnectionBody, useConnections, useCreateConnection, useUpdateConnection } from "./hooks";
import {
  Alert,
  Badge,
  buttonClass,
  Card,
  type ControlProps,
  DataTable,
  FieldError,
  inputClass,
  labelClass,
  PageHeader,
  QueryState,
  tdClass,
} from "./ui";

const HEADERS = ["Name", "Transport", "Upstream", "Max", "Credential", { label: <span className="sr-only">Actions</span> }];

export function AdminConnections() {
  const connections = useConnections();
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const editingConnection = connections.data?.find((connection) => connection.id === editing) ?? null;
  return (
    <div className="space-y-6">
      <PageHeader title="Connections" description="MCP servers people can request access to. Credentials are write-only." />
      <div className="grid items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(24rem,2fr)]">
        <Card title="Registered connections" bodyClassName="p-0">
          {saved ? (
            <div className="p-3">
              <Alert tone="green">Connection {saved} updated.</Alert>
            </div>
          ) : null}
          <QueryState query={connections} empty="No connections yet. Add the first one.">
            {(list) => (
              <DataTable headers={HEADERS}>
                {list.map((connection) => (
                  <tr key={connection.id}>
                    <td className={tdClass}>
                      <div className="font-medium">{connection.name}</div>
                      <div className="font-mono text-xs text-gray-500">{connection.slug}</div>
                      <div className="text-xs text-gray-400">added {formatDateTime(connection.createdAt)}</div>
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
                    <td className={`${tdClass} text-right`}>
                      <button
                        type="button"
                        className={buttonClass("secondary", "sm")}
                        aria-label={`Edit ${connection.name}`}
                        aria-expanded={editing === connection.id}
                        onClick={() => {
                          setSaved(null);
                          setEditing(editing === connection.id ? null : connection.id);
                        }}
                      >
                        Edit
                      </button>
                    </td>
                  </tr>
                ))}
              </DataTable>
            )}
          </QueryState>
        </Card>
        {editingConnection ? (
          // Editing takes the side panel's place, with room for every field.
          <Card title={`Edit ${editingConnection.name}`}>
            <EditConnectionForm
              key={editingConnection.id}
              connection={editingConnection}
              onCancel={() => setEditing(null)}
              onSaved={(updated) => {
                setEditing(null);
                setSaved(updated.slug);
              }}
            />
          </Card>
        ) : (
          <AddConnectionForm />
        )}
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
  | "clearCredential"
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
    case "clearCredential":
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
  transport: "streamable-http" as ConnectionView["transport"],
  url: "",
  command: "",
  args: "",
  credentialHeader: "",
  credentialValue: "",
  clearCredential: false,
  maxMinutes: "60",
};
type FormValues = typeof EMPTY;

function valuesOf(connection: ConnectionView): FormValues {
  return {
    ...EMPTY,
    slug: connection.slug,
    name: connection.name,
    description: connection.description ?? "",
    transport: connection.transport,
    url: connection.url ?? "",
    command: connection.command ?? "",
    args: (connection.args ?? []).join("\n"),
    maxMinutes: String(connection.maxMinutes),
  };
}

/**
 * The state of one connection form: its values, its errors (local checks first, then the API's
 * `error.field` when the form shows that field, else a form-level message) and the parts of the
 * request body both forms build alike. `prefix` makes the input ids unique on the page.
 */
function useConnectionForm(options: { prefix: string; initial: FormValues; error: unknown; fields: readonly FieldName[] }) {
  const [form, setForm] = useState(options.initial);
  const [localErrors, setLocalErrors] = useState<Partial<Record<FieldName, string>>>({});
  const apiError = options.error instanceof ApiError ? options.error : null;
  const apiField = formField(apiError?.field);
  const shownField = apiField && options.fields.includes(apiField) ? apiField : null;
  const stdio = form.transport === "stdio";

  function set<K extends keyof FormValues>(key: K, value: FormValues[K]) {
    setForm((current) => ({ ...current, [key]: value }));
  }

  /** The credential entered, as `{ headers }` or (stdio) `{ env }`; `{}` for none; null when half filled in (errors shown). */
  function credentialBody(): { headers?: Record<string, string>; env?: Record<string, string> } | null {
    const header = form.credentialHeader.trim();
    const value = form.credentialValue;
    const errors: Partial<Record<FieldName, string>> = {};
    if (header && !value) errors.credentialValue = "Enter the credential value, or clear the credential header.";
    if (!header && value)
      errors.credentialHeader = stdio
        ? "Name the environment variable for this credential."
        : "Name the header this credential is sent in.";
    setLocalErrors(errors);
    if (Object.keys(errors).length) return null;
    if (!header) return {};
    return stdio ? { env: { [header]: value } } : { headers: { [header]: value } };
  }

  /** The upstream fields of the body: `{ url }`, or `{ command, args }` for stdio. */
  function upstreamBody(): { url: string } | { command: string; args: string[] } {
    if (!stdio) return { url: form.url.trim() };
    const args = form.args
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    return { command: form.command.trim(), args };
  }

  return {
    prefix: options.prefix,
    form,
    setForm,
    set,
    stdio,
    errorFor: (field: FieldName) => localErrors[field] ?? (shownField === field ? apiError?.message : undefined),
    formError: options.error && !shownField ? errorMessage(options.error) : null,
    credentialBody,
    upstreamBody,
  };
}
type ConnectionForm = ReturnType<typeof useConnectionForm>;

const ADD_FIELDS: readonly FieldName[] = [
  "slug",
  "name",
  "description",
  "transport",
  "url",
  "command",
  "args",
  "credentialHeader",
  "credentialValue",
  "maxMinutes",
];
const EDIT_FIELDS: readonly FieldName[] = [
  "name",
  "description",
  "url",
  "command",
  "args",
  "credentialHeader",
  "credentialValue",
  "clearCredential",
  "maxMinutes",
];

function AddConnectionForm() {
  const create = useCreateConnection();
  const f = useConnectionForm({ prefix: "connection", initial: EMPTY, error: create.error, fields: ADD_FIELDS });
  const [created, setCreated] = useState<string | null>(null);
  const { form, set } = f;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setCreated(null);
    const credential = f.credentialBody();
    if (!credential) return;
    const base = {
      slug: form.slug.trim(),
      name: form.name.trim(),
      ...(form.description.trim() ? { description: form.description.trim() } : {}),
      maxMinutes: Number(form.maxMinutes),
    };
    const upstream = f.upstreamBody();
    const body: CreateConnectionBody =
      "command" in upstream
        ? { ...base, transport: "stdio", ...upstream, ...(credential.env ? { env: credential.env } : {}) }
        : { ...base, transport: "streamable-http", ...upstream, ...(credential.headers ? { headers: credential.headers } : {}) };

    create.mutate(body, {
      onSuccess: (connection) => {
        setCreated(connection.slug);
        f.setForm(EMPTY);
      },
    });
  }

  return (
    <Card title="Add connection">
      <form onSubmit={submit} noValidate className="space-y-3">
        <div className="grid grid-cols-2 gap-3">
          <Field f={f} field="slug" label="Slug" hint="lowercase, digits, dashes">
            {(props) => (
              <input
                {...props}
                value={form.slug}
                onChange={(e) => set("slug", e.target.value)}
                placeholder="github-prod"
                autoComplete="off"
              />
            )}
          </Field>
          <NameField f={f} />
        </div>
        <DescriptionField f={f} />
        <div className="grid grid-cols-2 gap-3">
          <Field f={f} field="transport" label="Transport">
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
          <MaxMinutesField f={f} />
        </div>
        <UpstreamFields f={f} />
        <CredentialFields
          f={f}
          legend="Upstream credential (optional)"
          hint={`${f.stdio ? "Passed to the stdio process as an environment variable" : "Injected as a request header"} by the gateway; callers never see it. Write-only: stored encrypted, never shown again.`}
        />
        {f.formError ? <Alert>{f.formError}</Alert> : null}
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

/** Changes a registered connection; its slug and transport are fixed. The credential can be replaced or removed, never read. */
function EditConnectionForm({
  connection,
  onCancel,
  onSaved,
}: {
  connection: ConnectionView;
  onCancel: () => void;
  onSaved: (connection: ConnectionView) => void;
}) {
  const update = useUpdateConnection();
  const f = useConnectionForm({
    prefix: `edit-${connection.slug}`,
    initial: valuesOf(connection),
    error: update.error,
    fields: EDIT_FIELDS,
  });
  const { form, set } = f;
  const clearId = `${f.prefix}-clear-credential`;
  const clearError = f.errorFor("clearCredential");

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const credential = form.clearCredential ? { clearCredential: true } : f.credentialBody();
    if (!credential) return;
    // Unchanged fields may be sent as they are: the server records only what differs.
    const body: UpdateConnectionBody = {
      name: form.name.trim(),
      description: form.description.trim() || null,
      maxMinutes: Number(form.maxMinutes),
      ...f.upstreamBody(),
      ...credential,
    };
    update.mutate({ slug: connection.slug, body }, { onSuccess: onSaved });
  }

  return (
    <form onSubmit={submit} noValidate aria-label={`Edit ${connection.name}`} className="space-y-3">
      <h3 className="text-sm font-semibold text-gray-900">
        Edit <span className="font-mono">{connection.slug}</span>{" "}
        <span className="font-normal text-gray-500">({transportLabel(connection.transport)}; slug and transport cannot change)</span>
      </h3>
      <div className="grid grid-cols-2 gap-3">
        <NameField f={f} />
        <MaxMinutesField f={f} />
      </div>
      <DescriptionField f={f} />
      <UpstreamFields f={f} />
      <CredentialFields
        f={f}
        legend="Rotate credential"
        disabled={form.clearCredential}
        hint={
          (connection.hasCredential
            ? `A credential is stored (write-only). Leave these empty to keep it; a new ${f.stdio ? "environment variable replaces the stored ones" : "header replaces the stored headers"}.`
            : "No credential is stored; enter one to add it.") +
          " New sessions use the change at once; sessions already open keep theirs until they end."
        }
      >
        <div className="mt-3">
          <label htmlFor={clearId} className="inline-flex items-center gap-2 text-sm text-gray-800">
            <input
              id={clearId}
              name="clear-credential"
              type="checkbox"
              className="size-4 rounded border-gray-300 text-indigo-600"
              checked={form.clearCredential}
              disabled={!connection.hasCredential}
              onChange={(e) => set("clearCredential", e.target.checked)}
              aria-invalid={clearError ? true : undefined}
              aria-describedby={clearError ? `${clearId}-error` : undefined}
            />
            Remove credential
          </label>
          <FieldError id={`${clearId}-error`} message={clearError} />
        </div>
      </CredentialFields>
      {f.formError ? <Alert>{f.formError}</Alert> : null}
      <div className="flex justify-end gap-2">
        <button type="button" className={buttonClass("ghost")} onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className={buttonClass("primary")} disabled={update.isPending}>
          Save changes
        </button>
      </div>
    </form>
  );
}

// ---- fields both forms show ------------------------------------------------------------------

function NameField({ f }: { f: ConnectionForm }) {
  return (
    <Field f={f} field="name" label="Name">
      {(props) => <input {...props} value={f.form.name} onChange={(e) => f.set("name", e.target.value)} placeholder="GitHub (prod)" />}
    </Field>
  );
}

function DescriptionField({ f }: { f: ConnectionForm }) {
  return (
    <Field f={f} field="description" label="Description">
      {(props) => <textarea {...props} rows={2} value={f.form.description} onChange={(e) => f.set("description", e.target.value)} />}
    </Field>
  );
}

function MaxMinutesField({ f }: { f: ConnectionForm }) {
  return (
    <Field f={f} field="maxMinutes" label="Max minutes">
      {(props) => (
        <input
          {...props}
          type="number"
          min={1}
          max={1440}
          step={1}
          value={f.form.maxMinutes}
          onChange={(e) => f.set("maxMinutes", e.target.value)}
        />
      )}
    </Field>
  );
}

/** URL, or Command and Arguments for stdio. */
function UpstreamFields({ f }: { f: ConnectionForm }) {
  const { form, set } = f;
  if (!f.stdio) {
    return (
      <Field f={f} field="url" label="URL">
        {(props) => (
          <input
            {...props}
            type="url"
            value={form.url}
            onChange={(e) => set("url", e.target.value)}
            placeholder="https://mcp.example.com/mcp"
            className={`${inputClass} font-mono`}
          />
        )}
      </Field>
    );
  }
  return (
    <>
      <Field f={f} field="command" label="Command">
        {(props) => (
          <input
            {...props}
            value={form.command}
            onChange={(e) => set("command", e.target.value)}
            placeholder="npx"
            className={`${inputClass} font-mono`}
          />
        )}
      </Field>
      <Field f={f} field="args" label="Arguments" hint="one per line">
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
  );
}

/** The write-only credential pair: a header (or, for stdio, environment variable) name and its value. */
function CredentialFields({
  f,
  legend,
  hint,
  disabled,
  children,
}: {
  f: ConnectionForm;
  legend: string;
  hint: string;
  disabled?: boolean;
  children?: ReactNode;
}) {
  const { form, set } = f;
  return (
    <fieldset className="rounded-md border border-gray-200 p-3">
      <legend className="px-1 text-xs font-medium text-gray-700">{legend}</legend>
      <p className="mb-2 text-xs text-gray-500">{hint}</p>
      <div className="grid grid-cols-2 gap-3">
        <Field f={f} field="credentialHeader" label="Credential header">
          {(props) => (
            <input
              {...props}
              value={form.credentialHeader}
              onChange={(e) => set("credentialHeader", e.target.value)}
              placeholder={f.stdio ? "GITHUB_TOKEN" : "Authorization"}
              autoComplete="off"
              disabled={disabled}
              className={`${inputClass} font-mono`}
            />
          )}
        </Field>
        <Field f={f} field="credentialValue" label="Credential value">
          {(props) => (
            <input
              {...props}
              type="password"
              value={form.credentialValue}
              onChange={(e) => set("credentialValue", e.target.value)}
              autoComplete="new-password"
              placeholder="write-only"
              disabled={disabled}
            />
          )}
        </Field>
      </div>
      {children}
    </fieldset>
  );
}

const kebab = (field: FieldName) => field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** Like ui's `Field`, with a hint beside the label; id, name and error come from the form and field. */
function Field({
  f,
  field,
  label,
  hint,
  children,
}: {
  f: ConnectionForm;
  field: FieldName;
  label: string;
  hint?: string;
  children: (props: ControlProps & { name: string }) => ReactNode;
}) {
  const id = `${f.prefix}-${kebab(field)}`;
  const errorId = `${id}-error`;
  const error = f.errorFor(field);
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
        name: kebab(field),
        className: inputClass,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": error ? errorId : undefined,
      })}
      <FieldError id={errorId} message={error} />
    </div>
  );
}
