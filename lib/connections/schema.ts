import { z } from "zod";

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// Hop-by-hop and framing headers would break the upstream request rather than authenticate it.
const FORBIDDEN_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "mcp-session-id", "mcp-protocol-version"]);

// The transport mapping lives in transport.ts; re-exported for the modules that import it from here.
export { TRANSPORT_NAMES, type TransportName } from "./transport.ts";

/** A record's key that fails its check reports the key's own message, not zod's "Invalid key in record". */
const keyError = (issue: z.core.$ZodRawIssue) => (issue.code === "invalid_key" ? issue.issues[0]?.message : undefined);

const headersSchema = z
  .record(z.string().regex(HEADER_NAME, "is not a valid HTTP header name"), z.string().max(8192, "must be at most 8,192 characters"), {
    error: keyError,
  })
  .refine((headers) => Object.keys(headers).every((name) => !FORBIDDEN_HEADERS.has(name.toLowerCase())), {
    message: `must not set ${[...FORBIDDEN_HEADERS].join(", ")}`,
  });

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
  url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL of the upstream MCP endpoint" }),
  command: z.string({ error: "is required for stdio connections" }).trim().min(1, "is required for stdio connections"),
  args: z.array(z.string()).max(64, "must be at most 64 arguments"),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a valid environment variable name"), z.string(), { error: keyError }),
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
      transport: z.literal("stdio"),
      command: field.command,
      args: field.args.default([]),
      env: field.env.optional(),
      headers: field.headers.optional(),
    }),
  ],
  { error: 'must be "streamable-http" or "stdio"' },
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
 * (url for streamable-http; command, args and env for stdio) is checked against the stored
 * connection by updateConnection.
 */
export const updateConnectionSchema = z.strictObject({
  name: field.name.optional(),
  description: field.description.nullable().optional().describe("null clears the description."),
  maxMinutes: field.maxMinutes.optional().describe("Applies to new access requests; existing grants keep their expiry."),
  url: field.url.optional().describe("Streamable HTTP connections only."),
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
