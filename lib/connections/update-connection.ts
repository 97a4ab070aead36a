import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import type { Connection } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";
import { parseInput } from "../validate.ts";
import { open, seal } from "../vault/seal.ts";
import { type AdminConnectionView, presentAdminConnection } from "./present-connection.ts";
import { type ConnectionCredential, type UpdateConnectionData, type UpdateConnectionInput, updateConnectionSchema } from "./schema.ts";
import { TRANSPORT_NAMES, type TransportName, transportName } from "./transport.ts";

type Changeable = Exclude<keyof UpdateConnectionData, "slug" | "transport">;

/** The fields each transport has; any other field sent for it is refused by name. */
const URL_FIELDS: ReadonlySet<Changeable> = new Set(["name", "description", "maxMinutes", "url", "headers", "clearCredential"]);
const FIELDS: Record<TransportName, ReadonlySet<Changeable>> = {
  "streamable-http": URL_FIELDS,
  sse: URL_FIELDS,
  websocket: URL_FIELDS,
  stdio: new Set(["name", "description", "maxMinutes", "command", "args", "env", "headers", "clearCredential"]),
};

/** What the audit log says about a credential change: variable names and what happened, never values. */
interface CredentialChange {
  change: "rotated" | "cleared";
  headers: string[];
  env: string[];
}

/**
 * Changes a registered connection (admins). The slug and transport are fixed; fields must fit the
 * connection's transport. `headers` / `env` replace that part of the sealed credential (write-only),
 * `clearCredential` removes it. The row and its `connection.updated` audit event are written in one
 * transaction; an update that changes nothing writes neither.
 *
 * Who sees the change when: the maximum duration applies to access requests made from now on;
 * grants already issued keep their expiry (and pending requests keep the minutes they asked for).
 * Gateways load the connection afresh for every new session (loadConnection), so new sessions use
 * the new URL, command and credential at once; sessions already open keep the upstream they opened
 * with — and its credential — until they end (expiry, revocation, idle timeout or the client).
 */
export async function updateConnection(
  db: Db,
  options: { actor: Actor; slug: string; input: UpdateConnectionInput; vaultKey: Buffer },
): Promise<AdminConnectionView> {
  const { actor, slug } = options;
  assertCan(actor, "connections:write", "change connections");
  const input = parseInput(updateConnectionSchema, options.input);
  const sent = (Object.keys(input) as Changeable[]).filter(
    (key) => input[key] !== undefined && !(key === "clearCredential" && !input.clearCredential),
  );
  if (sent.length === 0) {
    throw new AppError(
      "BAD_REQUEST",
      "Nothing to change: send at least one of name, description, maxMinutes, url, command, args, headers, env or clearCredential.",
    );
  }
  if (input.clearCredential && (input.headers !== undefined || input.env !== undefined)) {
    throw new AppError(
      "BAD_REQUEST",
      "clearCredential: cannot be combined with headers or env; either replace the credential or remove it.",
      {
        field: "clearCredential",
      },
    );
  }

  return db.$transaction(async (tx) => {
    // Lock the row: a credential change reads the sealed value it partly replaces.
    await tx.$executeRaw`SELECT 1 FROM "Connection" WHERE "slug" = ${slug} FOR UPDATE`;
    const current = await tx.connection.findUnique({ where: { slug } });
    if (!current) throw new AppError("NOT_FOUND", `No connection "${slug}" in the catalog.`);
    const transport = transportName(current.transport);
    const misfit = sent.find((key) => !FIELDS[transport].has(key));
    if (misfit) {
      const other = transport === "stdio" ? "streamable-http, sse and websocket" : "stdio";
      throw new AppError("BAD_REQUEST", `${misfit}: applies only to ${other} connections; "${slug}" is a ${transport} connection.`, {
        field: misfit,
      });
    }
    if (input.url !== undefined && /^wss?:/i.test(input.url) !== (transport === "websocket")) {
      throw new AppError(
        "BAD_REQUEST",
        transport === "websocket"
          ? `url: must be a ws:// or wss:// URL; "${slug}" is a websocket connection.`
          : `url: must be an http(s) URL; "${slug}" is a ${transport} connection.`,
        { field: "url" },
      );
    }

    const data: Partial<Pick<Connection, "name" | "description" | "maxMinutes" | "url" | "command" | "args" | "credential">> = {};
    if (input.name !== undefined && input.name !== current.name) data.name = input.name;
    if (input.description !== undefined && input.description !== current.description) data.description = input.description;
    if (input.maxMinutes !== undefined && input.maxMinutes !== current.maxMinutes) data.maxMinutes = input.maxMinutes;
    if (input.url !== undefined && input.url !== current.url) data.url = input.url;
    if (input.command !== undefined && input.command !== current.command) data.command = input.command;
    if (input.args !== undefined && JSON.stringify(input.args) !== JSON.stringify(current.args)) data.args = input.args;
    const credential = nextCredential(current, input, options.vaultKey);
    if (credential) data.credential = credential.sealed;

    const fields = Object.keys(data);
    if (fields.length === 0) return presentAdminConnection(current);
    const row = await tx.connection.update({ where: { id: current.id }, data });
    await writeAuditEvent(tx, {
      actor,
      action: "connection.updated",
      targetType: "Connection",
      targetId: row.id,
      data: { slug: row.slug, fields, ...(credential ? { credential: credential.audit } : {}) },
    });
    return presentAdminConnection(row);
  });
}

/** The new sealed credential, or null when the update leaves the credential as it is. */
function nextCredential(
  current: Connection,
  input: UpdateConnectionData,
  vaultKey: Buffer,
): { sealed: string | null; audit: CredentialChange } | null {
  if (input.clearCredential) {
    return current.credential === null ? null : { sealed: null, audit: { change: "cleared", headers: [], env: [] } };
  }
  if (input.headers === undefined && input.env === undefined) return null;

  // Only the part sent is replaced; the other part (stdio: headers or env) is kept.
  const keepsPart = input.headers === undefined || (current.transport === TRANSPORT_NAMES.stdio && input.env === undefined);
  const next: ConnectionCredential = keepsPart && current.credential !== null ? openCredential(current, vaultKey) : {};
  if (input.headers !== undefined) next.headers = input.headers;
  if (input.env !== undefined) next.env = input.env;
  if (next.headers && Object.keys(next.headers).length === 0) delete next.headers;
  if (next.env && Object.keys(next.env).length === 0) delete next.env;

  const audit = { headers: Object.keys(next.headers ?? {}), env: Object.keys(next.env ?? {}) };
  if (Object.keys(next).length === 0) {
    return current.credential === null ? null : { sealed: null, audit: { change: "cleared", ...audit } };
  }
  // Sealed afresh (new nonce) with the connection id as associated data, like createConnection.
  return { sealed: seal(JSON.stringify(next), vaultKey, current.id), audit: { change: "rotated", ...audit } };
}

function openCredential(current: Connection, vaultKey: Buffer): ConnectionCredential {
  try {
    return JSON.parse(open(current.credential!, vaultKey, current.id)) as ConnectionCredential;
  } catch {
    throw new AppError(
      "CONFLICT",
      "The stored credential cannot be opened with the current TOLLGATE_SECRET_KEY, so part of it cannot be kept: send both headers and env, or clearCredential.",
    );
  }
}
