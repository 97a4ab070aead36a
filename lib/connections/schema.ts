import { z } from "zod";

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// Hop-by-hop and framing headers would break the upstream request rather than authenticate it.
const FORBIDDEN_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "mcp-session-id", "mcp-protocol-version"]);

// The transport mapping lives in transport.ts; re-exported for the modules that import it from here.
export { TRANSPORT_NAMES, type TransportName } from "./transport.ts";

/** A record's key that fails its check reports the key's own message, not zod's "Invalid key in record". */
const keyError = (issue: z.core.$ZodRawIssue) => (issue.code === "invalid_key" ? issue.issues[0]?.message : undefined);

/** C0 controls (CR, LF, NUL, TAB, …), DEL and C1 controls: header injection, truncated env values. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** A credential value (header or environment variable): refused, naming the character, when it holds a control character. */
const credentialValue = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max.toLocaleString("en-US")} characters`)
    .check((ctx) => {
      const at = ctx.value.search(CONTROL_CHARACTER);
      if (at < 0) return;
      const code = ctx.value.charCodeAt(at).toString(16).toUpperCase().padStart(4, "0");
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: `must not contain control characters such as CR, LF or NUL (found U+${code} at position ${at + 1})`,
      });
    });

const headersSchema = z
  .record(z.string().regex(HEADER_NAME, "is not a valid HTTP header name"), credentialValue(8192), {
    error: keyError,
  })
  .refine((headers) => Object.keys(headers).every((name) => !FORBIDDEN_HEADERS.has(name.toLowerCase())), {
    message: `must not set ${[...FORBIDDEN_HEADERS].join(", ")}`,
  });

/**
 * Words that make a query parameter's name look like a secret when its name ends with one of them
 * (`token`, `api_key`, `apiKey`, `X-Amz-Signature`, `client_secret`, `sig`…).
 */
const SECRET_WORDS = new Set([
  "token",
  "key",
  "apikey",
  "secret",
  "password",
  "passwd",
  "pwd",
  "pass",
  "auth",
  "authorization",
  "sig",
  "signature",
  "credential",
  "credentials",
  "jwt",
  "bearer",
  "session",
  "sas",
]);
/** Whole names that are secrets though their last word is not in SECRET_WORDS. */
const SECRET_NAMES = new Set(["accesstoken", "apikey", "clientsecret", "privatekey", "sessionid", "sid"]);

/** Whether a query parameter's name looks like it carries a credential. */
export function isSecretParameter(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words.at(-1);
  return (last !== undefined && SECRET_WORDS.has(last)) || SECRET_NAMES.has(words.join(""));
}

const USE_HEADERS =
  'put it in a credential header instead (headers, e.g. {"Authorization": "Bearer …"} or {"X-Api-Key": "…"}), which is sealed and never shown again';

/** Why an upstream URL may not be stored (it carries a credential), or null. URLs are shown to admins and logged; headers are sealed. */
export function credentialInUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null; // reported by the URL check itself
  }
  if (parsed.username || parsed.password) return `must not carry credentials (user:password@ in the URL); ${USE_HEADERS}`;
  for (const name of new Set(parsed.searchParams.keys())) {
    if (isSecretParameter(name)) {
      return `must not carry credentials: the query parameter "${name.slice(0, 60)}" looks like one; ${USE_HEADERS}`;
    }
  }
  return null;
}

/** One schema per connection field, shared by create and update (which add defaults or optionality). */
const field = {
  slug: z.string({ error: "is required" }).regex(SLUG_PATTERN, "must be lowercase letters, digits and dashes (e.g. github-prod)"),
  name: z.string({ error: "is required" }).trim().min(1, "is required").max(120, "must be at most 120 characters"),
  description: z.string().max(2000, "must be at most 2,000 characters"),
  maxMinutes: z
    .number({ error: "must be a number of minutes" })
    .int("must be a whole number of minutes")
    .min(1, "must be at least 1")
    .max(24 * 60, "must be at most 1440 (24 h)"),
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL of the upstream MCP endpoint" }).check((ctx) => {
    const problem = credentialInUrl(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
  }),
  /** A WebSocket upstream's URL: ws:// or wss://, with no credential in it either. */
  wsUrl: z.url({ protocol: /^wss?$/, error: "must be a ws:// or wss:// URL of the upstream MCP WebSocket endpoint" }).check((ctx) => {
    const problem = credentialInUrl(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
  }),
  /** PATCH: the URL of any URL transport; updateConnection checks its scheme against the stored transport. */
  anyUrl: z
    .url({
      protocol: /^(https?|wss?)$/,
      error: "must be an http(s) URL (or ws(s):// for WebSocket connections) of the upstream MCP endpoint",
    })
    .check((ctx) => {
      const problem = credentialInUrl(ctx.value);
      if (problem) ctx.issues.push({ code: "custom", input: ctx.value, message: problem });
    }),
  command: z.string({ error: "is required for stdio connections" }).trim().min(1, "is required for stdio connections"),
  args: z.array(z.string()).max(64, "must be at most 64 arguments"),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a valid environment variable name"), credentialValue(32_768), {
    error: keyError,
  }),
  headers: headersSchema,
};

const base = {
  slug: field.slug,
  name: field.name,
  description: field.description.optional(),
  maxMinutes: field.maxMinutes.default(60),
};

export const createConnectionSchema = z.discriminatedUnion(
  "transport",
  [
    z.object({
      ...base,
      transport: z.literal("streamable-http"),
      url: field.url,
      headers: field.headers.optional(),
    }),
    z.object({
      ...base,
      transport: z.literal("sse"),
      url: field.url,
      headers: field.headers.optional(),
    }),
    z.object({
      ...base,
      transport: z.literal("websocket"),
      url: field.wsUrl,
      headers: field.headers.optional(),
    }),
    z.object({
      ...base,
      transport: z.literal("stdio"),
      command: field.command,
      args: field.args.default([]),
      env: field.env.optional(),
      headers: field.headers.optional(),
    }),
  ],
  { error: 'must be "streamable-http", "sse", "websocket" or "stdio"' },
);
export type CreateConnectionInput = z.input<typeof createConnectionSchema>;
export type CreateConnectionData = z.output<typeof createConnectionSchema>;

const immutable = (what: string) =>
  z
    .never({ error: `cannot be changed; ${what}` })
    .optional()
    .describe("Cannot be changed: a body that sends it is refused (400, `error.field` names it).");

/**
 * PATCH body: every field optional, unknown fields refused. Which fields fit which transport
 * (url for streamable-http, sse and websocket — ws(s):// for websocket; command, args and env for
 * stdio) is checked against the stored
 * connection by updateConnection.
 */
export const updateConnectionSchema = z.strictObject({
  name: field.name.optional(),
  description: field.description.nullable().optional().describe("null clears the description."),
  maxMinutes: field.maxMinutes.optional().describe("Applies to new access requests; existing grants keep their expiry."),
  url: field.anyUrl.optional().describe("Streamable HTTP, SSE (http(s)://) and WebSocket (ws(s)://) connections only."),
  command: field.command.optional().describe("stdio connections only."),
  args: field.args.optional().describe("stdio connections only; replaces the arguments."),
  headers: field.headers.optional().describe("Replaces the credential's headers (write-only, sealed). An empty object removes them."),
  env: field.env.optional().describe("stdio connections only. Replaces the credential's environment variables (write-only, sealed)."),
  clearCredential: z.boolean().optional().describe("true removes the stored credential; not together with headers or env."),
  slug: immutable("register a new connection under the new slug instead"),
  transport: immutable("register a new connection with the other transport instead"),
});
export type UpdateConnectionInput = z.input<typeof updateConnectionSchema>;
export type UpdateConnectionData = z.output<typeof updateConnectionSchema>;

/** What the vault holds for a connection: injected by the gateway, never shown again. */
export interface ConnectionCredential {
  headers?: Record<string, string>;
  env?: Record<string, string>;
}
