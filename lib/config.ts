import { z } from "zod";
import { Role } from "./db/generated/enums.ts";

// Environment is parsed once per concern, with messages that say which variable to fix.

function parse<T extends z.ZodType>(schema: T, source: Record<string, string | undefined>): z.infer<T> {
  const result = schema.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return result.data;
}

/** The roles, as the database enum has them (prisma/schema.prisma `enum Role`). */
const ROLES: readonly string[] = Object.values(Role);
const isRole = (value: string): value is Role => ROLES.includes(value);

/**
 * `ROLE_MAPPINGS` maps IdP groups to Tollgate roles: "group=ROLE[,group=ROLE…]".
 * Example: "engineering=REQUESTER,sre-leads=APPROVER,platform-admins=ADMIN".
 */
export function parseRoleMappings(value: string): Array<{ group: string; role: Role }> {
  if (!value.trim()) return [];
  return value.split(",").map((pair) => {
    const [group, role] = pair.split("=").map((part) => part.trim());
    const upper = role?.toUpperCase();
    if (!group || !upper || !isRole(upper)) {
      throw new Error(`ROLE_MAPPINGS entry "${pair}" must look like group=ROLE with ROLE one of ${ROLES.join(", ")}`);
    }
    return { group, role: upper };
  });
}

export const DEMO_ROLE_MAPPINGS =
  "engineering=REQUESTER,sre-leads=APPROVER,platform-admins=ADMIN,platform-admins=APPROVER,platform-admins=AUDITOR";

const vaultSchema = z.object({
  TOLLGATE_SECRET_KEY: z
    .string({ error: "is required: 32 random bytes, base64 (openssl rand -base64 32)" })
    .refine((value) => Buffer.from(value, "base64").length === 32, "must be 32 bytes encoded as base64"),
});

/** The AES-256-GCM key that seals upstream credentials. */
export function vaultKey(env: Record<string, string | undefined> = process.env): Buffer {
  return Buffer.from(parse(vaultSchema, env).TOLLGATE_SECRET_KEY, "base64");
}

const oidcSchema = z.object({
  OIDC_ISSUER: z.url({ error: "must be the issuer URL of your OIDC provider" }),
  OIDC_CLIENT_ID: z.string({ error: "is required (the portal's client id at the IdP)" }).min(1),
  OIDC_CLIENT_SECRET: z.string({ error: "is required (the portal's client secret at the IdP)" }).min(1),
  OIDC_GROUPS_CLAIM: z.string().min(1).default("groups"),
  OIDC_SCOPE: z.string().min(1).default("openid email profile groups"),
  OIDC_PROVIDER_NAME: z.string().min(1).default("your identity provider"),
});
export type OidcConfig = z.infer<typeof oidcSchema>;

export function oidcConfig(env: Record<string, string | undefined> = process.env): OidcConfig {
  return parse(oidcSchema, env);
}

/**
 * The gateway's defaults, written once: the environment schema below, `startGateway` and
 * `GatewaySession` all read them from here.
 */
export const GATEWAY_DEFAULTS = {
  port: 8080,
  host: "127.0.0.1",
  /** Largest accepted request body. */
  maxBodyBytes: 4 * 1024 * 1024,
  /** A client request unanswered by the upstream after this long gets an error and is cancelled upstream. */
  requestTimeoutMs: 5 * 60_000,
  /**
   * Progress notifications for a request restart its timeout, but no request runs longer than this
   * after it was forwarded (long-lived streams by design, `subscriptions/listen`, have no limit).
   */
  requestMaxMs: 60 * 60_000,
  /** A session with no open client request or stream for this long is ended (its stdio child stopped). */
  sessionIdleMs: 5 * 60_000,
  /**
   * A session whose client hung up its streams (closed the connection instead of sending DELETE)
   * and sent nothing since is ended after this long, or after `sessionIdleMs` if that is shorter.
   */
  sessionGoneMs: 30_000,
  /** A request body must arrive completely within this long of the request's start (else 408, connection closed). */
  bodyTimeoutMs: 10_000,
  /** Open sessions per grant in this gateway process. */
  maxSessionsPerGrant: 10,
  /** Open sessions per user (all their grants) in this gateway process. */
  maxSessionsPerUser: 20,
  /** Open sessions in this gateway process. */
  maxSessions: 1000,
  /** stdio children (one per session of a stdio connection) running at once in this gateway process. */
  maxStdioChildren: 20,
  /** Open client TCP connections to the gateway; more are answered 429 and closed. */
  maxConnections: 2048,
  /** Pending access requests nobody decided within this long expire. */
  accessRequestTtlMinutes: 24 * 60,
  /** A call held for approval by a rule without holdMinutes waits this long for a decision. */
  holdMinutes: 5,
  /** No call is held longer than this, whatever its rule says. */
  maxHoldMinutes: 60,
  /** A held call's row is re-read this often, in case a NOTIFY was missed. */
  holdPollMs: 3000,
  /** A held call whose client sent a progress token gets a progress notification this often. */
  holdProgressMs: 10_000,
  /** SSE keep-alive comments on open streams, and WebSocket pings (a client that missed the previous pong is cut), this often. */
  keepAliveMs: 15_000,
  /** Browser origins allowed to call the gateway (none: only localhost origins, and only when it listens on loopback). */
  allowedOrigins: [] as readonly string[],
  /** Host header values (host or host:port) accepted besides the public URL's host and localhost names. */
  allowedHosts: [] as readonly string[],
  /** Recorded events of sessions that ended more than this many days ago are purged (a signed summary stays); 0 keeps them forever. */
  recordingRetentionDays: 0,
} as const;

const publicUrlsSchema = z.object({
  GATEWAY_PUBLIC_URL: z.url().default(`http://localhost:${GATEWAY_DEFAULTS.port}`),
});

/** Where clients reach the gateway: used in the ready-to-paste client configs. */
export function gatewayPublicUrl(env: Record<string, string | undefined> = process.env): string {
  return parse(publicUrlsSchema, env).GATEWAY_PUBLIC_URL.replace(/\/$/, "");
}

const gatewaySchema = z.object({
  DATABASE_URL: z.string({ error: "is required: the Postgres URL" }).min(1),
  GATEWAY_PORT: z.coerce.number().int().min(0).max(65535).default(GATEWAY_DEFAULTS.port),
  GATEWAY_HOST: z.string().default(GATEWAY_DEFAULTS.host),
  GATEWAY_MAX_BODY_BYTES: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.maxBodyBytes),
  GATEWAY_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.requestTimeoutMs),
  GATEWAY_REQUEST_MAX_MS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.requestMaxMs),
  GATEWAY_SESSION_IDLE_MS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.sessionIdleMs),
  GATEWAY_SESSION_GONE_MS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.sessionGoneMs),
  GATEWAY_BODY_TIMEOUT_MS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.bodyTimeoutMs),
  GATEWAY_MAX_SESSIONS_PER_GRANT: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.maxSessionsPerGrant),
  GATEWAY_MAX_SESSIONS_PER_USER: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.maxSessionsPerUser),
  GATEWAY_MAX_SESSIONS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.maxSessions),
  GATEWAY_MAX_STDIO_CHILDREN: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.maxStdioChildren),
  GATEWAY_MAX_CONNECTIONS: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.maxConnections),
  ACCESS_REQUEST_TTL_MINUTES: z.coerce.number().int().positive().default(GATEWAY_DEFAULTS.accessRequestTtlMinutes),
  GATEWAY_MAX_HOLD_MINUTES: z.coerce.number().int().positive().max(1440).default(GATEWAY_DEFAULTS.maxHoldMinutes),
  GATEWAY_HOLD_MINUTES: z.coerce.number().int().positive().max(1440).default(GATEWAY_DEFAULTS.holdMinutes),
  GATEWAY_HOLD_POLL_MS: z.coerce.number().int().min(100).default(GATEWAY_DEFAULTS.holdPollMs),
  GATEWAY_HOLD_PROGRESS_MS: z.coerce.number().int().min(100).default(GATEWAY_DEFAULTS.holdProgressMs),
  GATEWAY_KEEP_ALIVE_MS: z.coerce.number().int().min(100).default(GATEWAY_DEFAULTS.keepAliveMs),
  /** A stable id per gateway replica (e.g. the pod name): on restart only its own held calls are abandoned. */
  GATEWAY_INSTANCE_ID: z.string().trim().min(1).max(200).optional(),
  TOLLGATE_WEBHOOK_URL: z.url({ error: "must be an incoming webhook URL (Slack-compatible)" }).optional(),
  /** The portal's public origin, for deep links (default: NEXTAUTH_URL). */
  PORTAL_URL: z.url().optional(),
  NEXTAUTH_URL: z.url().optional(),
  GATEWAY_ALLOWED_ORIGINS: z.string().default(GATEWAY_DEFAULTS.allowedOrigins.join(",")),
  GATEWAY_ALLOWED_HOSTS: z.string().default(GATEWAY_DEFAULTS.allowedHosts.join(",")),
  GATEWAY_PUBLIC_URL: z.url().optional(),
  RECORDING_RETENTION_DAYS: z.coerce
    .number({ error: "must be a whole number of days (0 keeps recordings forever)" })
    .int("must be a whole number of days (0 keeps recordings forever)")
    .min(0, "must be 0 (keep forever) or more days")
    .default(GATEWAY_DEFAULTS.recordingRetentionDays),
});
export type GatewayConfig = z.infer<typeof gatewaySchema>;

export function gatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  return parse(gatewaySchema, env);
}
