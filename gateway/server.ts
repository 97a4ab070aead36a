import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expireStaleRequests } from "../lib/access/expire-stale-requests.ts";
import { GATEWAY_DEFAULTS } from "../lib/config.ts";
import { createDb, type Db } from "../lib/db/client.ts";
import { EventWriter } from "../lib/recording/event-writer.ts";
import { errorBody, GatewayError } from "./errors.ts";
import { GrantWatcher } from "./grant-watcher.ts";
import { handleStreamableHttp, type ListenerDeps } from "./listen/streamable-http.ts";
import { createLogger, type Logger } from "./log.ts";
import { GatewayMetrics } from "./metrics.ts";
import { PolicyCache } from "./policy-cache.ts";
import { SessionRegistry } from "./registry.ts";

export interface GatewayOptions {
  databaseUrl: string;
  port: number;
  host?: string;
  vaultKey: Buffer | null;
  /** Unset options take their value from `GATEWAY_DEFAULTS` (lib/config.ts). */
  maxBodyBytes?: number;
  /** A client request unanswered by the upstream after this long gets an error and is cancelled upstream. */
  requestTimeoutMs?: number;
  /** A session with no client request for this long is ended (its stdio child stopped). */
  sessionIdleMs?: number;
  /** Pending access requests nobody decided within this long expire (checked every 30 s). */
  accessRequestTtlMinutes?: number;
  /** Browser origins allowed to call the gateway; requests with any other Origin get 403. */
  allowedOrigins?: string[];
  log?: Logger;
}

export interface Gateway {
  url: string;
  port: number;
  server: Server;
  registry: SessionRegistry;
  metrics: GatewayMetrics;
  /** Compiled policies per connection, kept current by NOTIFY. */
  policies: PolicyCache;
  db: Db;
  close(): Promise<void>;
}

const MCP_PATH = /^\/mcp\/([a-z0-9-]+)\/?$/;

export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? createLogger();
  const db = createDb(options.databaseUrl);
  const registry = new SessionRegistry();
  const policies = new PolicyCache({ db, vaultKey: options.vaultKey, log });
  const watcher = new GrantWatcher({ databaseUrl: options.databaseUrl, db, registry, log, policies });
  await watcher.start();
  // Housekeeping that needs a long-running process; safe on several replicas (SKIP LOCKED).
  const ttlMinutes = options.accessRequestTtlMinutes ?? GATEWAY_DEFAULTS.accessRequestTtlMinutes;
  const housekeeping = setInterval(() => {
    expireStaleRequests(db, { ttlMinutes }).then(
      (expired) => expired.length && log.info("access requests expired", { count: expired.length }),
      (error: Error) => log.warn("could not expire stale access requests", { error: error.message }),
    );
  }, 30_000);
  housekeeping.unref();
  const writer = EventWriter.connect(options.databaseUrl, {
    onError: (error) => log.warn("recording connection lost", { error: error.message }),
  });
  const metrics = new GatewayMetrics({ openSessions: () => registry.size, recorderQueueDepth: () => writer.backlog });
  const deps: ListenerDeps = {
    db,
    writer,
    registry,
    policies,
    vaultKey: options.vaultKey,
    maxBodyBytes: options.maxBodyBytes ?? GATEWAY_DEFAULTS.maxBodyBytes,
    requestTimeoutMs: options.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs,
    sessionIdleMs: options.sessionIdleMs ?? GATEWAY_DEFAULTS.sessionIdleMs,
    log,
    metrics,
  };
  const allowedOrigins = new Set(options.allowedOrigins ?? GATEWAY_DEFAULTS.allowedOrigins);

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
    const mcp = MCP_PATH.exec(url.pathname);
    if (mcp) {
      const origin = req.headers.origin;
      if (origin && !allowedOrigins.has(origin) && !allowedOrigins.has("*")) {
        throw new GatewayError("FORBIDDEN_ORIGIN", `Origin ${origin} is not allowed to call this gateway (GATEWAY_ALLOWED_ORIGINS).`);
      }
      if (req.method !== "POST" && req.method !== "GET" && req.method !== "DELETE") {
        throw new GatewayError("METHOD_NOT_ALLOWED", "Use POST, GET or DELETE on an MCP endpoint.");
      }
      metrics.httpRequest(req.method);
      return handleStreamableHttp(deps, req, res, mcp[1]!);
    }
    throw new GatewayError("UNKNOWN_CONNECTION", `Nothing at ${url.pathname}. MCP endpoints are /mcp/<connection-slug>.`);
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const gatewayError = error instanceof GatewayError ? error : new GatewayError("INTERNAL", "Internal gateway error.");
      if (!(error instanceof GatewayError)) log.error("unhandled request error", { error: (error as Error)?.message });
      metrics.refusal(gatewayError.kind);
      const headers: Record<string, string> = {};
      if (gatewayError.kind === "UNAUTHENTICATED") {
        // Header values must be plain ASCII; the full message is in the JSON body.
        const description = gatewayError.message.replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "'");
        headers["www-authenticate"] = `Bearer realm="tollgate", error="invalid_token", error_description="${description}"`;
      }
      if (gatewayError.kind === "METHOD_NOT_ALLOWED") headers.allow = "GET, POST, DELETE";
      sendJson(res, gatewayError.status, errorBody(gatewayError), headers);
    });
  });
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
  });
  // Long-lived SSE streams: no request timeout; headers must still arrive promptly.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? GATEWAY_DEFAULTS.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host ?? GATEWAY_DEFAULTS.host;

  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    port,
    server,
    registry,
    metrics,
    policies,
    db,
    async close() {
      clearInterval(housekeeping);
      await registry.closeAll("gateway shutting down");
      await watcher.stop();
      await writer.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await db.$disconnect();
    },
  };
}
