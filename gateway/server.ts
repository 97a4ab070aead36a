import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expireStaleRequests } from "../lib/access/expire-stale-requests.ts";
import { AUDIT_CHECKPOINT_INTERVAL_MS, auditCheckpointKey, writeAuditCheckpoint } from "../lib/audit/checkpoint.ts";
import { GATEWAY_DEFAULTS } from "../lib/config.ts";
import { createDb, type Db } from "../lib/db/client.ts";
import { purgeExpiredOAuth } from "../lib/oauth/purge-expired.ts";
import { EventWriter } from "../lib/recording/event-writer.ts";
import { indexMissingSearchText } from "../lib/recording/index-missing-search-text.ts";
import { JwtVerifier, type JwtVerifierOptions } from "../lib/tokens/jwt-verifier.ts";
import { errorBody, GatewayError } from "./errors.ts";
import { GrantWatcher } from "./grant-watcher.ts";
import { GatewayInstance } from "./instance.ts";
import { limitReached, SessionLimits } from "./limits.ts";
import { guardBody } from "./listen/body.ts";
import type { TransportListenerDeps } from "./listen/open-session.ts";
import { handleSse } from "./listen/sse.ts";
import { handleStreamableHttp, type ListenerDeps } from "./listen/streamable-http.ts";
import { createWebSocketListener } from "./listen/websocket.ts";
import { createLogger, type Logger } from "./log.ts";
import { GatewayMetrics } from "./metrics.ts";
import {
  connectionOfPath,
  gatewayOrigin,
  parseMetadataPath,
  protectedResourceMetadata,
  type ResourcePath,
  resourceMetadataUrl,
  wwwAuthenticate,
} from "./oauth-metadata.ts";
import { checkOrigin, type OriginPolicy, originPolicy } from "./pipeline/check-origin.ts";
import { GrantCache } from "./pipeline/grant-cache.ts";
import { HeldCalls } from "./pipeline/hold.ts";
import { PolicyCache } from "./policy-cache.ts";
import { SessionRegistry } from "./registry.ts";
import { bearerOf, scrubSecrets, secretPatterns } from "./secrets.ts";

/** The housekeeping's search-text sweep looks at sessions open or ended within this long. */
const SEARCH_TEXT_SWEEP_MS = 10 * 60_000;

export interface GatewayOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  vaultKey: Buffer | null;
  /** Unset options take their value from `GATEWAY_DEFAULTS` (lib/config.ts). */
  maxBodyBytes?: number;
  /** A client request unanswered by the upstream after this long gets an error and is cancelled upstream. */
  requestTimeoutMs?: number;
  /** The longest a request may run when progress notifications keep restarting its timeout (GATEWAY_REQUEST_MAX_MS). */
  requestMaxMs?: number;
  /** A session with no client request for this long is ended (its stdio child stopped). */
  sessionIdleMs?: number;
  /** A session whose client hung up its streams and sent nothing since is ended after this long. */
  sessionGoneMs?: number;
  /** A request's body must have arrived within this long of its start (else 408, connection closed). */
  bodyTimeoutMs?: number;
  /** Caps on open sessions (per grant, per user, in total) and on running stdio children; 429 past them. */
  maxSessionsPerGrant?: number;
  maxSessionsPerUser?: number;
  maxSessions?: number;
  maxStdioChildren?: number;
  /** Open client connections; one more is answered 429 and closed. */
  maxConnections?: number;
  /** Pending access requests nobody decided within this long expire (checked every 30 s). */
  accessRequestTtlMinutes?: number;
  /** No call is held for approval longer than this (GATEWAY_MAX_HOLD_MINUTES); `maxHoldMs` overrides it (tests). */
  maxHoldMinutes?: number;
  maxHoldMs?: number;
  /** How long a rule without holdMinutes holds a call (default 5 minutes). */
  defaultHoldMs?: number;
  /** Held calls re-read their row this often (NOTIFY is the fast path) and send progress notifications this often. */
  holdPollMs?: number;
  holdProgressMs?: number;
  /**
   * A stable id for this replica (GATEWAY_INSTANCE_ID; else random per start): its GatewayInstance row
   * (gateway/instance.ts). On start, the sessions and held calls a previous run of it left open end.
   */
  instanceId?: string;
  /** The instance's heartbeat, when another instance counts as lost, how often lost ones are looked for (tests). */
  heartbeatMs?: number;
  lostAfterMs?: number;
  lostSweepMs?: number;
  /** Slack-compatible incoming webhook announcing held calls, and the portal URL its links point to. */
  webhookUrl?: string;
  portalUrl?: string;
  /**
   * Browser origins allowed to call the gateway; requests with any other Origin get 403. When the
   * gateway listens on loopback, localhost origins are allowed too.
   */
  allowedOrigins?: string[];
  /** Host values accepted besides localhost names, the bind address and the public URL's host (`name` or `name:port`). */
  allowedHosts?: string[];
  /** The URL clients use (GATEWAY_PUBLIC_URL): its host is one of the gateway's own. */
  publicUrl?: string;
  /** SSE keep-alive comments (every SSE stream) and WebSocket pings this often (GATEWAY_KEEP_ALIVE_MS; default 15 s). */
  keepAliveMs?: number;
  /** Service accounts' IdP-issued JWTs: trusted issuers, audience, algorithms, skew (TOLLGATE_JWT_*); absent: refused. */
  jwt?: JwtVerifierOptions | null;
  log?: Logger;
}

export interface Gateway {
  url: string;
  port: number;
  server: Server;
  registry: SessionRegistry;
  /** Session and stdio-child slots in use. */
  limits: SessionLimits;
  metrics: GatewayMetrics;
  /** Compiled policies per connection, kept current by NOTIFY. */
  policies: PolicyCache;
  /** Calls held for approval in this process. */
  heldCalls: HeldCalls;
  /** This process's GatewayInstance row: heartbeat and the sweep for lost instances. */
  instance: GatewayInstance;
  db: Db;
  close(): Promise<void>;
}

const MCP_PATH = /^\/mcp\/([a-z0-9-]+)\/?$/;
/** Legacy HTTP+SSE: GET /sse/<slug> opens the stream, POST /sse/<slug>/messages carries messages. */
const SSE_PATH = /^\/sse\/([a-z0-9-]+)(\/messages)?\/?$/;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? createLogger();
  const db = createDb(options.databaseUrl);
  const registry = new SessionRegistry();
  const policies = new PolicyCache({ db, vaultKey: options.vaultKey, log });
  const instanceId = options.instanceId ?? randomUUID();
  const heldCalls = new HeldCalls({
    db,
    log,
    settings: {
      instanceId,
      defaultHoldMs: options.defaultHoldMs ?? GATEWAY_DEFAULTS.holdMinutes * 60_000,
      maxHoldMs: options.maxHoldMs ?? (options.maxHoldMinutes ?? GATEWAY_DEFAULTS.maxHoldMinutes) * 60_000,
      pollMs: options.holdPollMs ?? GATEWAY_DEFAULTS.holdPollMs,
      progressMs: options.holdProgressMs ?? GATEWAY_DEFAULTS.holdProgressMs,
      webhook: options.webhookUrl
        ? { url: options.webhookUrl, portalUrl: options.portalUrl ?? "http://127.0.0.1:3000", timeoutMs: 5000 }
        : null,
    },
  });
  // Registered before serving: what a previous run of this id left open ends, lost instances'
  // sessions and held calls end at once, then a heartbeat every 10 s and a sweep every 30 s.
  const instance = new GatewayInstance({
    db,
    id: instanceId,
    log,
    // Declared lost by another gateway (heartbeat lapsed): its sessions' rows are ended, so they close here too.
    onLost: () => registry.closeAll("gateway lost"),
    ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.lostAfterMs !== undefined ? { lostAfterMs: options.lostAfterMs } : {}),
    ...(options.lostSweepMs !== undefined ? { lostSweepMs: options.lostSweepMs } : {}),
  });
  await instance.start();
  // Gateway token → grant in memory while the watcher listens; revocations and sweeps drop entries.
  const grants = new GrantCache(db);
  const watcher = new GrantWatcher({ databaseUrl: options.databaseUrl, db, registry, log, policies, heldCalls, grants });
  await watcher.start();
  // Housekeeping that needs a long-running process; safe on several replicas (SKIP LOCKED).
  const ttlMinutes = options.accessRequestTtlMinutes ?? GATEWAY_DEFAULTS.accessRequestTtlMinutes;
  // The audit chain's head, signed at most every few minutes (and on shutdown), so deleting the newest audit rows shows.
  const checkpointKey = options.vaultKey ? auditCheckpointKey(options.vaultKey) : null;
  const checkpointAudit = (minIntervalMs?: number) =>
    checkpointKey
      ? writeAuditCheckpoint(db, { key: checkpointKey, ...(minIntervalMs !== undefined ? { minIntervalMs } : {}) }).catch((error: Error) =>
          log.warn("could not checkpoint the audit chain", { error: error.message }),
        )
      : Promise.resolve();
  // The search copy of recorded messages that a stopped gateway (this or another replica) or a
  // failed copy left out; idempotent, so replicas may overlap.
  const indexSearchText = (since: Date) =>
    indexMissingSearchText(db, { since }).then(
      (added) => added > 0 && log.info("search text filled in for recorded messages", { count: added }),
      (error: Error) => log.warn("could not fill in search text", { error: error.message }),
    );
  void indexSearchText(new Date(Date.now() - 24 * 60 * 60_000));
  const housekeeping = setInterval(() => {
    expireStaleRequests(db, { ttlMinutes }).then(
      (expired) => expired.length && log.info("access requests expired", { count: expired.length }),
      (error: Error) => log.warn("could not expire stale access requests", { error: error.message }),
    );
    // Held calls whose gateway died before their deadline (live ones expire on their own timer).
    heldCalls.expireOverdue().then(
      (expired) => expired.length && log.info("held calls expired", { count: expired.length }),
      (error: Error) => log.warn("could not expire held calls", { error: error.message }),
    );
    checkpointAudit(AUDIT_CHECKPOINT_INTERVAL_MS);
    // OAuth authorizations, codes, refresh and access tokens a day past use (lib/oauth).
    purgeExpiredOAuth(db).catch((error: Error) => log.warn("could not purge expired OAuth rows", { error: error.message }));
    indexSearchText(new Date(Date.now() - SEARCH_TEXT_SWEEP_MS));
  }, 30_000);
  housekeeping.unref();
  const writer = EventWriter.connect(options.databaseUrl, {
    onError: (error) => log.warn("recording connection lost", { error: error.message }),
    // The event itself is committed; only its search copy waits for a retry (or the sweep).
    onTextError: (error, rows) =>
      log.warn("could not write the search copy of recorded messages; will retry", { error: error.message, rows }),
  });
  const metrics = new GatewayMetrics({ openSessions: () => registry.size, recorderQueueDepth: () => writer.backlog });
  const limits = new SessionLimits({
    maxSessionsPerGrant: options.maxSessionsPerGrant ?? GATEWAY_DEFAULTS.maxSessionsPerGrant,
    maxSessionsPerUser: options.maxSessionsPerUser ?? GATEWAY_DEFAULTS.maxSessionsPerUser,
    maxSessions: options.maxSessions ?? GATEWAY_DEFAULTS.maxSessions,
    maxStdioChildren: options.maxStdioChildren ?? GATEWAY_DEFAULTS.maxStdioChildren,
  });
  const deps: ListenerDeps = {
    db,
    writer,
    registry,
    policies,
    vaultKey: options.vaultKey,
    maxBodyBytes: options.maxBodyBytes ?? GATEWAY_DEFAULTS.maxBodyBytes,
    requestTimeoutMs: options.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs,
    requestMaxMs: options.requestMaxMs ?? GATEWAY_DEFAULTS.requestMaxMs,
    sessionIdleMs: options.sessionIdleMs ?? GATEWAY_DEFAULTS.sessionIdleMs,
    sessionGoneMs: options.sessionGoneMs ?? GATEWAY_DEFAULTS.sessionGoneMs,
    limits,
    log,
    metrics,
    holds: heldCalls,
    instanceId,
    grants,
    keepAliveMs: options.keepAliveMs ?? GATEWAY_DEFAULTS.keepAliveMs,
    ...(options.jwt ? { jwt: new JwtVerifier(options.jwt) } : {}),
  };
  const transportDeps: TransportListenerDeps = {
    ...deps,
    keepAliveMs: options.keepAliveMs ?? GATEWAY_DEFAULTS.keepAliveMs,
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  };
  const webSockets = createWebSocketListener(transportDeps);
  const bodyTimeoutMs = options.bodyTimeoutMs ?? GATEWAY_DEFAULTS.bodyTimeoutMs;
  const maxConnections = options.maxConnections ?? GATEWAY_DEFAULTS.maxConnections;
  const host = options.host ?? GATEWAY_DEFAULTS.host;
  /** Set once the port is known (listen below); no request is routed before that. */
  let origins: OriginPolicy | undefined;

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.headersSent) {
      res.end();
      return;
    }
    try {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    } catch (error) {
      log.error("could not send error response", { error: (error as Error).message });
      res.destroy();
    }
  };

  const oauthIssuer = (options.portalUrl ?? "http://127.0.0.1:3000").replace(/\/$/, "");
  /** RFC 9728 metadata of a connection path (or the root form): public, readable from any page (CORS). */
  async function serveResourceMetadata(req: IncomingMessage, res: ServerResponse, path: ResourcePath | "root") {
    if (origins) checkOrigin(origins, { host: req.headers.host });
    const cors = { "access-control-allow-origin": "*", "access-control-allow-methods": "GET", "cache-control": "max-age=300" };
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      throw new GatewayError("METHOD_NOT_ALLOWED", "Use GET for protected resource metadata.");
    if (path !== "root") {
      const known = await db.connection.findUnique({ where: { slug: path.slug }, select: { id: true } }).catch(() => {
        throw new GatewayError("DATABASE_UNAVAILABLE", "Tollgate cannot reach its database; try again shortly.");
      });
      if (!known) throw new GatewayError("UNKNOWN_CONNECTION", `No MCP connection "${path.slug}" is registered in Tollgate.`);
    }
    sendJson(res, 200, protectedResourceMetadata({ origin: gatewayOrigin(options.publicUrl, req), issuer: oauthIssuer, path }), cors);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://gateway");
    if (url.pathname === "/healthz") return sendJson(res, 200, { status: "ok" });
    if (url.pathname === "/readyz") {
      const dbOk = await db.$queryRaw`SELECT 1`.then(
        () => true,
        () => false,
      );
      const ready = dbOk && watcher.listening;
      return sendJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", database: dbOk, listening: watcher.listening });
    }
    if (url.pathname === "/metrics") {
      const body = await metrics.render();
      res.writeHead(200, { "content-type": metrics.contentType });
      res.end(body);
      return;
    }
    const metadataPath = parseMetadataPath(url.pathname);
    if (metadataPath) return serveResourceMetadata(req, res, metadataPath);
    const mcp = MCP_PATH.exec(url.pathname);
    if (mcp) {
      if (origins) checkOrigin(origins, req.headers);
      if (req.method !== "POST" && req.method !== "GET" && req.method !== "DELETE") {
        throw new GatewayError("METHOD_NOT_ALLOWED", "Use POST, GET or DELETE on an MCP endpoint.");
      }
      metrics.httpRequest(req.method);
      return handleStreamableHttp(deps, req, res, mcp[1]!);
    }
    const sse = SSE_PATH.exec(url.pathname);
    if (sse) {
      if (origins) checkOrigin(origins, req.headers);
      metrics.httpRequest(req.method ?? "GET");
      return handleSse(transportDeps, req, res, sse[1]!, sse[2] !== undefined);
    }
    throw new GatewayError(
      "UNKNOWN_CONNECTION",
      `Nothing at ${url.pathname}. MCP endpoints are /mcp/<connection-slug>, /sse/<connection-slug> (legacy SSE) and ws://…/ws/<connection-slug>.`,
    );
  }

  /** Connections over the limit, answered 429 and closing: whatever they send is not served. */
  const refusedSockets = new WeakSet<object>();
  const server = createServer((req, res) => {
    if (refusedSockets.has(req.socket)) {
      res.destroy();
      return;
    }
    // Authenticated or not, a request must arrive whole in time; one whose body nobody reads is cut here.
    guardBody(req, bodyTimeoutMs, (error) => {
      metrics.refusal(error.kind);
      log.warn("request body timed out", { method: req.method, path: req.url?.slice(0, 200) });
      if (res.headersSent) req.socket.destroy();
      else sendJson(res, error.status, errorBody(error), { connection: "close" });
    });
    route(req, res).catch((error: unknown) => {
      const gatewayError = error instanceof GatewayError ? error : new GatewayError("INTERNAL", "Internal gateway error.");
      if (!(error instanceof GatewayError)) {
        const secrets = secretPatterns([bearerOf(req.headers.authorization)]);
        log.error("unhandled request error", { error: scrubSecrets(String((error as Error)?.message), secrets) });
      }
      metrics.refusal(gatewayError.kind);
      // A body not (fully) read, e.g. refused before it was: close the connection rather than wait for the rest.
      const headers: Record<string, string> = req.complete ? {} : { connection: "close" };
      if (gatewayError.kind === "UNAUTHENTICATED") {
        // RFC 9728: the 401 says where this connection's protected resource metadata is (MCP clients start OAuth from it).
        const path = connectionOfPath(new URL(req.url ?? "/", "http://gateway").pathname);
        headers["www-authenticate"] = wwwAuthenticate({
          metadataUrl: resourceMetadataUrl(gatewayOrigin(options.publicUrl, req), path),
          tokenPresented: req.headers.authorization !== undefined,
          description: gatewayError.message,
        });
      }
      if (gatewayError.kind === "METHOD_NOT_ALLOWED") headers.allow = "GET, POST, DELETE";
      sendJson(res, gatewayError.status, errorBody(gatewayError), headers);
    });
  });
  // WebSocket upgrades (/ws/<slug>): refused ones are answered with an HTTP status before any upgrade.
  server.on("upgrade", (req, socket, head) => {
    if (refusedSockets.has(socket)) socket.destroy();
    else webSockets.upgrade(req, socket, head, origins);
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  // A bound on open client connections: one more is told why (429) and closed at once.
  let openConnections = 0;
  server.on("connection", (socket) => {
    openConnections += 1;
    socket.once("close", () => {
      openConnections -= 1;
    });
    if (openConnections <= maxConnections) return;
    const error = limitReached(
      "connections",
      maxConnections,
      `This gateway already has ${maxConnections} open client connections, its limit; close idle connections or try again shortly`,
    );
    metrics.refusal(error.kind);
    refusedSockets.add(socket);
    const body = JSON.stringify(errorBody(error));
    socket.end(
      `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nretry-after: 5\r\nconnection: close\r\n\r\n${body}`,
    );
    socket.destroySoon();
  });
  // Long-lived SSE streams: no request timeout; headers must still arrive promptly.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origins = originPolicy({
    bindHost: host,
    port,
    publicUrl: options.publicUrl,
    allowedOrigins: options.allowedOrigins ?? GATEWAY_DEFAULTS.allowedOrigins,
    allowedHosts: options.allowedHosts ?? GATEWAY_DEFAULTS.allowedHosts,
  });

  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    server,
    registry,
    limits,
    metrics,
    policies,
    heldCalls,
    instance,
    db,
    async close() {
      clearInterval(housekeeping);
      instance.suspend();
      await registry.closeAll("gateway shutting down");
      await watcher.stop();
      await writer.close();
      await instance.stop();
      await checkpointAudit();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.$disconnect();
    },
  };
}
