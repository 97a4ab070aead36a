"use client";

import { type ReactNode, useEffect, useRef, useState } from "react";
import { type FieldErrors, type UseFormRegister, type UseFormRegisterReturn, useForm } from "react-hook-form";
import type { ConnectionView } from "@/lib/connections/present-connection";
import { createConnectionSchema, updateConnectionSchema } from "@/lib/connections/schema";
import type { TransportName } from "@/lib/connections/transport";
import { fieldMessage, schemaResolver, showServerError } from "./form";
import { formatMinutes, transportLabel } from "./format";
import { useConnections, useCreateConnection, useUpdateConnection } from "./hooks";
import { Time, TimeZoneNote } from "./time";
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
  // On a phone the form sits below the list: bring it into view when an Edit button opens it.
  const editBox = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const box = editBox.current;
    if (editing && box && box.getBoundingClientRect().top > window.innerHeight) box.scrollIntoView({ block: "start" });
  }, [editing]);
  return (
    <div className="space-y-6">
      <PageHeader title="Connections" description="MCP servers people can request access to. Credentials are write-only." />
      <div className="grid grid-cols-1 items-start gap-6 xl:grid-cols-[minmax(0,3fr)_minmax(24rem,2fr)]">
        <Card title="Registered connections" actions={<TimeZoneNote />} bodyClassName="p-0">
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
                      <div className="text-xs text-gray-500">
                        added <Time iso={connection.createdAt} />
                      </div>
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
          <div ref={editBox} className="min-w-0 scroll-mt-16">
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
          </div>
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

/**
 * What the inputs hold. The request body is built from it (a credential is a name and a value,
 * arguments one per line) and checked by the schema the API route parses with, before sending.
 */
interface FormValues {
  slug: string;
  name: string;
  description: string;
  transport: TransportName;
  url: string;
  command: string;
  args: string;
  credentialHeader: string;
  credentialValue: string;
  clearCredential: boolean;
  maxMinutes: string;
}

const EMPTY: FormValues = {
  slug: "",
  name: "",
  description: "",
  transport: "streamable-http",
  url: "",
  command: "",
  args: "",
  credentialHeader: "",
  credentialValue: "",
  clearCredential: false,
  maxMinutes: "60",
};

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
 * The form field an API `error.field` or a schema issue's path names: "url", "args.2",
 * "headers.X-Api-Key" (a bad name is the header field's problem, a bad value the value's), "env", …
 */
function formField(path: string, code?: string): FieldName | null {
  const [head, key] = path.split(/[.[]/);
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
      return key !== undefined && code !== undefined && code !== "invalid_key" ? "credentialValue" : "credentialHeader";
    default:
      return null;
  }
}

/** "" is not a number: the schema says so rather than the API's default applying. */
const minutesOf = (text: string) => (text.trim() === "" ? Number.NaN : Number(text));

const argsOf = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);

/** The credential entered, as `{ headers }` or (stdio) `{ env }`; `{}` for none or a half-filled pair (see credentialErrors). */
function credentialOf(values: FormValues): { headers?: Record<string, string>; env?: Record<string, string> } {
  const name = values.credentialHeader.trim();
  if (!name || !values.credentialValue) return {};
  return values.transport === "stdio" ? { env: { [name]: values.credentialValue } } : { headers: { [name]: values.credentialValue } };
}

/** The one check no API schema makes: a credential needs both its name and its value. */
function credentialErrors(values: FormValues): Partial<Record<FieldName, string>> {
  if (values.clearCredential) return {};
  const name = values.credentialHeader.trim();
  if (name && !values.credentialValue) return { credentialValue: "Enter the credential value, or clear the credential header." };
  if (!name && values.credentialValue) {
    return {
      credentialHeader:
        values.transport === "stdio" ? "Name the environment variable for this credential." : "Name the header this credential is sent in.",
    };
  }
  return {};
}

/** POST /api/v1/connections. */
function toCreateBody(values: FormValues) {
  const base = {
    slug: values.slug.trim(),
    name: values.name,
    ...(values.description.trim() ? { description: values.description.trim() } : {}),
    maxMinutes: minutesOf(values.maxMinutes),
  };
  const credential = credentialOf(values);
  return values.transport === "stdio"
    ? {
        ...base,
        transport: "stdio",
        command: values.command,
        args: argsOf(values.args),
        ...(credential.env ? { env: credential.env } : {}),
      }
    : { ...base, transport: values.transport, url: values.url.trim(), ...(credential.headers ? { headers: credential.headers } : {}) };
}

/** PATCH /api/v1/connections/{slug}. Unchanged fields may be sent as they are: the server records only what differs. */
function toUpdateBody(values: FormValues) {
  return {
    name: values.name,
    description: values.description.trim() || null,
    maxMinutes: minutesOf(values.maxMinutes),
    ...(values.transport === "stdio" ? { command: values.command, args: argsOf(values.args) } : { url: values.url.trim() }),
    ...(values.clearCredential ? { clearCredential: true } : credentialOf(values)),
  };
}

const toField = ({ path, code }: { path: string; code: string }) => formField(path, code);
const createResolver = schemaResolver({ schema: createConnectionSchema, toInput: toCreateBody, toField, extra: credentialErrors });
const updateResolver = schemaResolver({ schema: updateConnectionSchema, toInput: toUpdateBody, toField, extra: credentialErrors });

/** Where a server error goes: the field it names when this form shows that field, else the form. */
const serverField = (shown: readonly FieldName[]) => (apiField: string) => {
  const field = formField(apiField);
  return field && shown.includes(field) ? field : null;
};

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

/** What the shared field components need of either form. `prefix` makes the input ids unique on the page. */
interface FormParts {
  prefix: string;
  register: UseFormRegister<FormValues>;
  errors: FieldErrors<FormValues>;
  stdio: boolean;
}

function AddConnectionForm() {
  const create = useCreateConnection();
  const [created, setCreated] = useState<string | null>(null);
  const {
    register,
    handleSubmit,
    reset,
    setError,
    watch,
    formState: { errors },
  } = useForm({ resolver: createResolver, defaultValues: EMPTY });
  const parts: FormParts = { prefix: "connection", register, errors, stdio: watch("transport") === "stdio" };

  const submit = handleSubmit((body) => {
    setCreated(null);
    create.mutate(body, {
      onSuccess: (connection) => {
        setCreated(connection.slug);
        reset(EMPTY);
      },
      onError: (error) => showServerError(error, setError, serverField(ADD_FIELDS)),
    });
  });

  return (
    <Card title="Add connection">
      <form onSubmit={submit} noValidate className="space-y-3">
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <Field parts={parts} field="slug" label="Slug" hint="lowercase, digits, dashes">
            {(props) => <input {...props} placeholder="github-prod" autoComplete="off" />}
          </Field>
          <NameField parts={parts} />
        </div>
        <DescriptionField parts={parts} />
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          <Field parts={parts} field="transport" label="Transport">
            {(props) => (
              <select {...props}>
                <option value="streamable-http">{transportLabel("streamable-http")}</option>
                <option value="sse">{transportLabel("sse")}</option>
                <option value="websocket">{transportLabel("websocket")}</option>
                <option value="stdio">{transportLabel("stdio")}</option>
              </select>
            )}
          </Field>
          <MaxMinutesField parts={parts} />
        </div>
        <UpstreamFields parts={parts} />
        <CredentialFields
          parts={parts}
          legend="Upstream credential (optional)"
          hint={`${parts.stdio ? "Passed to the stdio process as an environment variable" : "Injected as a request header"} by the gateway; callers never see it. Write-only: stored encrypted, never shown again.`}
        />
        {errors.root?.server ? <Alert>{errors.root.server.message}</Alert> : null}
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
  const {
    register,
    handleSubmit,
    setError,
    watch,
    formState: { errors },
  } = useForm({ resolver: updateResolver, defaultValues: valuesOf(connection) });
  const parts: FormParts = { prefix: `edit-${connection.slug}`, register, errors, stdio: connection.transport === "stdio" };
  const clearId = `${parts.prefix}-clear-credential`;
  const clearError = fieldMessage(errors.clearCredential);
  const clearing = watch("clearCredential");

  const submit = handleSubmit((body) =>
    update.mutate(
      { slug: connection.slug, body },
      { onSuccess: onSaved, onError: (error) => showServerError(error, setError, serverField(EDIT_FIELDS)) },
    ),
  );

  return (
    <form onSubmit={submit} noValidate aria-label={`Edit ${connection.name}`} className="space-y-3">
      <h3 className="text-sm font-semibold text-gray-900">
        Edit <span className="font-mono">{connection.slug}</span>{" "}
        <span className="font-normal text-gray-500">({transportLabel(connection.transport)}; slug and transport cannot change)</span>
      </h3>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <NameField parts={parts} />
        <MaxMinutesField parts={parts} />
      </div>
      <DescriptionField parts={parts} />
      <UpstreamFields parts={parts} />
      <CredentialFields
        parts={parts}
        legend="Rotate credential"
        disabled={clearing}
        hint={
          (connection.hasCredential
            ? `A credential is stored (write-only). Leave these empty to keep it; a new ${parts.stdio ? "environment variable replaces the stored ones" : "header replaces the stored headers"}.`
            : "No credential is stored; enter one to add it.") +
          " New sessions use the change at once; sessions already open keep theirs until they end."
        }
      >
        <div className="mt-3">
          <label htmlFor={clearId} className="inline-flex items-center gap-2 text-sm text-gray-800">
            <input
              id={clearId}
              type="checkbox"
              className="size-4 rounded border-gray-300 text-indigo-600"
              {...register("clearCredential", { disabled: !connection.hasCredential })}
              aria-invalid={clearError ? true : undefined}
              aria-describedby={clearError ? `${clearId}-error` : undefined}
            />
            Remove credential
          </label>
          <FieldError id={`${clearId}-error`} message={clearError} />
        </div>
      </CredentialFields>
      {errors.root?.server ? <Alert>{errors.root.server.message}</Alert> : null}
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

function NameField({ parts }: { parts: FormParts }) {
  return (
    <Field parts={parts} field="name" label="Name">
      {(props) => <input {...props} placeholder="GitHub (prod)" />}
    </Field>
  );
}

function DescriptionField({ parts }: { parts: FormParts }) {
  return (
    <Field parts={parts} field="description" label="Description">
      {(props) => <textarea {...props} rows={2} />}
    </Field>
  );
}

function MaxMinutesField({ parts }: { parts: FormParts }) {
  return (
    <Field parts={parts} field="maxMinutes" label="Max minutes">
      {(props) => <input {...props} type="number" inputMode="numeric" min={1} max={1440} step={1} />}
    </Field>
  );
}

/** URL, or Command and Arguments for stdio. */
function UpstreamFields({ parts }: { parts: FormParts }) {
  if (!parts.stdio) {
    return (
      <Field parts={parts} field="url" label="URL">
        {(props) => (
          <input
            {...props}
            type="url"
            placeholder="https://mcp.example.com/mcp (wss://… for WebSocket)"
            className={`${inputClass} font-mono`}
          />
        )}
      </Field>
    );
  }
  return (
    <>
      <Field parts={parts} field="command" label="Command">
        {(props) => <input {...props} placeholder="npx" className={`${inputClass} font-mono`} />}
      </Field>
      <Field parts={parts} field="args" label="Arguments" hint="one per line">
        {(props) => (
          <textarea
            {...props}
            rows={3}
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
  parts,
  legend,
  hint,
  disabled,
  children,
}: {
  parts: FormParts;
  legend: string;
  hint: string;
  disabled?: boolean;
  children?: ReactNode;
}) {
  return (
    <fieldset className="rounded-md border border-gray-200 p-3">
      <legend className="px-1 text-xs font-medium text-gray-700">{legend}</legend>
      <p className="mb-2 text-xs text-gray-500">{hint}</p>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <Field parts={parts} field="credentialHeader" label="Credential header" disabled={disabled}>
          {(props) => (
            <input
              {...props}
              placeholder={parts.stdio ? "GITHUB_TOKEN" : "Authorization"}
              autoComplete="off"
              className={`${inputClass} font-mono`}
            />
          )}
        </Field>
        <Field parts={parts} field="credentialValue" label="Credential value" disabled={disabled}>
          {(props) => <input {...props} type="password" autoComplete="new-password" placeholder="write-only" />}
        </Field>
      </div>
      {children}
    </fieldset>
  );
}

const kebab = (field: FieldName) => field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/**
 * Like ui's `Field`, with a hint beside the label. The control gets its id, styling, aria link to
 * the error and its react-hook-form registration (name, ref, handlers).
 */
function Field({
  parts,
  field,
  label,
  hint,
  disabled,
  children,
}: {
  parts: FormParts;
  field: Exclude<FieldName, "clearCredential">;
  label: string;
  hint?: string;
  disabled?: boolean;
  children: (props: ControlProps & UseFormRegisterReturn<FieldName>) => ReactNode;
}) {
  const id = `${parts.prefix}-${kebab(field)}`;
  const errorId = `${id}-error`;
  const error = fieldMessage(parts.errors[field]);
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
        className: inputClass,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": error ? errorId : undefined,
        ...parts.register(field, { disabled }),
      })}
      <FieldError id={errorId} message={error} />
    </div>
  );
}
