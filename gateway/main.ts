import { gatewayConfig } from "../lib/config.ts";
import { migrate } from "../lib/db/migrate.ts";
import { jwtVerifierConfig } from "../lib/tokens/jwt-config.ts";
import { createLogger } from "./log.ts";
import { startRetention } from "./retention.ts";
import { startGateway } from "./server.ts";

// The gateway process: validate configuration, make sure the schema is current, serve, and on
// SIGINT/SIGTERM end every session cleanly (streams closed, stdio children stopped, ends recorded).

const log = createLogger();
const config = gatewayConfig();
const key = process.env.TOLLGATE_SECRET_KEY ? Buffer.from(process.env.TOLLGATE_SECRET_KEY, "base64") : null;
if (key && key.length !== 32) {
  log.error("TOLLGATE_SECRET_KEY must be 32 bytes encoded as base64");
  process.exit(1);
}
if (!key) log.warn("TOLLGATE_SECRET_KEY is not set: connections with a stored credential cannot be opened");

/** A comma-separated list from the environment. */
const list = (value: string) =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

await migrate({ databaseUrl: config.DATABASE_URL });
const gateway = await startGateway({
  databaseUrl: config.DATABASE_URL,
  port: config.GATEWAY_PORT,
  host: config.GATEWAY_HOST,
  vaultKey: key,
  maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
  requestTimeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS,
  requestMaxMs: config.GATEWAY_REQUEST_MAX_MS,
  sessionIdleMs: config.GATEWAY_SESSION_IDLE_MS,
  sessionGoneMs: config.GATEWAY_SESSION_GONE_MS,
  bodyTimeoutMs: config.GATEWAY_BODY_TIMEOUT_MS,
  maxSessionsPerGrant: config.GATEWAY_MAX_SESSIONS_PER_GRANT,
  maxSessionsPerUser: config.GATEWAY_MAX_SESSIONS_PER_USER,
  maxSessions: config.GATEWAY_MAX_SESSIONS,
  maxStdioChildren: config.GATEWAY_MAX_STDIO_CHILDREN,
  maxConnections: config.GATEWAY_MAX_CONNECTIONS,
  accessRequestTtlMinutes: config.ACCESS_REQUEST_TTL_MINUTES,
  maxHoldMinutes: config.GATEWAY_MAX_HOLD_MINUTES,
  defaultHoldMs: config.GATEWAY_HOLD_MINUTES * 60_000,
  holdPollMs: config.GATEWAY_HOLD_POLL_MS,
  holdProgressMs: config.GATEWAY_HOLD_PROGRESS_MS,
  keepAliveMs: config.GATEWAY_KEEP_ALIVE_MS,
  instanceId: config.GATEWAY_INSTANCE_ID,
  webhookUrl: config.TOLLGATE_WEBHOOK_URL,
  portalUrl: config.PORTAL_URL ?? config.NEXTAUTH_URL,
  allowedOrigins: list(config.GATEWAY_ALLOWED_ORIGINS),
  allowedHosts: list(config.GATEWAY_ALLOWED_HOSTS),
  ...(config.GATEWAY_PUBLIC_URL ? { publicUrl: config.GATEWAY_PUBLIC_URL } : {}),
  jwt: jwtVerifierConfig(),
  log,
});
log.info("gateway listening", { url: gateway.url });

// Retention (RECORDING_RETENTION_DAYS): hourly and once shortly after start; one replica at a time.
const retentionDays = config.RECORDING_RETENTION_DAYS;
if (retentionDays > 0 && !key) log.warn("RECORDING_RETENTION_DAYS is set but TOLLGATE_SECRET_KEY is not: nothing is purged");
const retention =
  retentionDays > 0 && key ? startRetention({ databaseUrl: config.DATABASE_URL, retentionDays, vaultKey: key, log }) : undefined;

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info("gateway stopping", { signal });
    Promise.all([gateway.close(), retention?.stop()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
