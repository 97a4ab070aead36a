import { z } from "zod";

export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
// Hop-by-hop and framing headers would break the upstream request rather than authenticate it.
const FORBIDDEN_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection", "mcp-session-id", "mcp-protocol-version"]);

export const TRANSPORT_NAMES = { "streamable-http": "STREAMABLE_HTTP", stdio: "STDIO" } as const;
export type TransportName = keyof typeof TRANSPORT_NAMES;

const headersSchema = z
  .record(z.string().regex(HEADER_NAME, "is not a valid HTTP header name"), z.string().max(8192))
  .refine((headers) => Object.keys(headers).every((name) => !FORBIDDEN_HEADERS.has(name.toLowerCase())), {
    message: `must not set ${[...FORBIDDEN_HEADERS].join(", ")}`,
  });

const base = {
  slug: z.string().regex(SLUG_PATTERN, "must be lowercase letters, digits and dashes (e.g. github-prod)"),
  name: z.string().trim().min(1, "is required").max(120),
  description: z.string().max(2000).optional(),
  maxMinutes: z.number().int().min(1, "must be at least 1").max(24 * 60, "must be at most 1440 (24 h)").default(60),
};

export const createConnectionSchema = z.discriminatedUnion(
  "transport",
  [
    z.object({
      ...base,
      transport: z.literal("streamable-http"),
      url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL of the upstream MCP endpoint" }),
      headers: headersSchema.optional(),
    }),
    z.object({
      ...base,
      transport: z.literal("stdio"),
      command: z.string().trim().min(1, "is required for stdio connections"),
      args: z.array(z.string()).max(64).default([]),
      env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "is not a valid environment variable name"), z.string()).optional(),
      headers: headersSchema.optional(),
    }),
  ],
  { error: 'must be "streamable-http" or "stdio"' },
);
export type CreateConnectionInput = z.input<typeof createConnectionSchema>;
export type CreateConnectionData = z.output<typeof createConnectionSchema>;

/** What the vault holds for a connection: injected by the gateway, never shown again. */
export interface ConnectionCredential {
  headers?: Record<string, string>;
  env?: Record<string, string>;
}
