import type { IncomingMessage, ServerResponse } from "node:http";
import type { UpstreamConnection } from "../../lib/connections/load-connection.ts";
import type { Db } from "../../lib/db/client.ts";
import type { EventWriter } from "../../lib/recording/event-writer.ts";
import type { JwtVerifier } from "../../lib/tokens/jwt-verifier.ts";
import { GatewayError } from "../errors.ts";
import type { SessionLimits } from "../limits.ts";
import type { Logger } from "../log.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { authorize } from "../pipeline/authorize.ts";
import { checkMcpHeaders, checkSessionlessHeaders } from "../pipeline/check-mcp-headers.ts";
import type { GrantCache } from "../pipeline/grant-cache.ts";
import type { HeldCalls } from "../pipeline/hold.ts";
import type { PolicyCache } from "../policy-cache.ts";
import type { SessionRegistry } from "../registry.ts";
import { bearerOf } from "../secrets.ts";
import type { GatewaySession } from "../session.ts";
import { HttpUpstreamTransport } from "../upstream/streamable-http.ts";
import { parseJsonRpcBody, peekRequestId, readBody, requestIdOf } from "./body.ts";
import { ClientHttpTransport } from "./client-transport.ts";
import { authenticateCaller, authorizedConnection, type Caller, openListenedSession } from "./open-session.ts";

export interface ListenerDeps {
  db: Db;
  writer: EventWriter;
  registry: SessionRegistry;
  policies: PolicyCache;
  vaultKey: Buffer | null;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  requestMaxMs: number;
  sessionIdleMs: number;
  sessionGoneMs: number;
  /** Caps on open sessions and stdio children: a new session takes a slot or is refused (429). */
  limits: SessionLimits;
  log: Logger;
  metrics: GatewayMetrics;
  /** Calls held for approval: sessions hold require-approval calls until an approver decides. */
  holds?: HeldCalls;
  /** This gateway's GatewayInstance id: the owner of the sessions it opens (ended as "gateway lost" if it dies). */
  instanceId: string;
  /** Gateway token → grant in memory, kept current by the grant watcher (absent: a query per request). */
  grants?: GrantCache;
  /** Verifies service accounts' IdP-issued JWTs (absent: JWTs are refused). */
  jwt?: JwtVerifier;
  /** Keep-alive comments on SSE streams this often (GATEWAY_KEEP_ALIVE_MS). */
  keepAliveMs?: number;
}

const PREFIX = "/mcp";
const META_VERSION = "io.modelcontextprotocol/protocolVersion";
const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";

/** A version of the revisions that open a session with initialize (2025-11-25 and earlier). */
function isLegacyVersion(version: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && version < "2026-07-28";
}

/**
 * The version of a sessionless (2026-07-28 and later: no initialize, no session) request, or null
 * for one of an older revision. As the 2026-07-28 versioning rules say, a request carrying the
 * per-request `_meta` version is served statelessly whatever version it names, and so is one whose
 * header names a version that is not a legacy one: the upstream then judges a version it does not
 * implement itself (400, UnsupportedProtocolVersionError listing what it supports), which the client
 * gets as the upstream sent it.
 */
function sessionlessVersion(req: IncomingMessage, body: unknown): string | null {
  const header = req.headers["mcp-protocol-version"];
  const first = (Array.isArray(body) ? body[0] : body) as { params?: { _meta?: Record<string, unknown> } } | undefined;
  const meta = first?.params?._meta?.[META_VERSION];
  const version = typeof meta === "string" ? meta : typeof header === "string" ? header.trim() : "";
  if (typeof meta !== "string" && isLegacyVersion(version)) return null;
  // It goes upstream in a header and into the session's row: visible ASCII only (else: not a version).
  return /^[\x21-\x7e]{1,64}$/.test(version) ? version : null;
}

/**
 * Sessionless traffic is grouped per client connection (the TCP socket) and grant into one gateway
 * session: one session row, so replay reads as a session, and one upstream. Any replica can serve it.
 */
const sessionlessBySocket = new WeakMap<object, Map<string, GatewaySession>>();

function isInitializeRequest(body: unknown): body is { method: "initialize"; params?: { protocolVersion?: string; clientInfo?: unknown } } {
  const first = Array.isArray(body) ? body[0] : body;
  return typeof first === "object" && first !== null && (first as { method?: unknown }).method === "initialize";
}

/**
 * Streamable HTTP towards clients (`/mcp/<slug>`): authenticate and authorize every HTTP request,
 * then hand it to the session's own lean server transport (ClientHttpTransport), which speaks the
 * protocol (sessions, JSON or SSE answers, GET streams, Accept and version headers) to the client.
 */
export async function handleStreamableHttp(deps: ListenerDeps, req: IncomingMessage, res: ServerResponse, slug: string): Promise<void> {
  const read: { body?: unknown; attempted?: boolean } = {};
  try {
    await handle(deps, req, res, slug, read);
  } catch (error) {
    // A refusal names the request it refuses: from the body read, or (refused before reading it) a small body read now.
    if (error instanceof GatewayError && error.rpcId === undefined) {
      error.rpcId = read.attempted ? requestIdOf(read.body) : await peekRequestId(req);
    }
    throw error;
  }
}

async function readMessages(deps: ListenerDeps, req: IncomingMessage, read: { body?: unknown; attempted?: boolean }): Promise<unknown> {
  if (req.method !== "POST") return undefined;
  read.attempted = true;
  read.body = parseJsonRpcBody(await readBody(req, deps.maxBodyBytes));
  return read.body;
}

async function handle(
  deps: ListenerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  slug: string,
  read: { body?: unknown; attempted?: boolean },
): Promise<void> {
  const auth = await authenticateCaller(deps, req.headers, slug);
  const sessionHeader = req.headers["mcp-session-id"];
  const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;

  if (sessionId) {
    const found = deps.registry.get(sessionId);
    // Session ids are not credentials: a session answers only to the grant that opened it, at its own URL.
    // …and only over the transport that opened it (a WebSocket or SSE session's id is no use here).
    if (
      !found ||
      found.grant.id !== auth.grant.id ||
      found.connection.slug !== slug ||
      found.isClosed ||
      !(found.client instanceof ClientHttpTransport)
    ) {
      // Say what is wrong with the grant or the URL first, if anything; else the session is gone.
      await authorizedConnection(deps, auth, slug, PREFIX);
      throw new GatewayError("SESSION_NOT_FOUND", "Session not found or ended; initialize a new session.");
    }
    // A live session already knows its connection: no lookup on the hot path.
    authorize(auth.grant, found.connection);
    const body = await readMessages(deps, req, read);
    if (body !== undefined) checkMcpHeaders(req.headers, body, found.client.paramHeaders);
    found.updateGrant(auth.grant);
    // A held call whose client closes this response has lost its client: the hold ends, unless the
    // client can resume the stream (2025-11-25+), which keeps the call held and its answer for the resumption.
    const transport = clientOf(found);
    found.watchRequestStream(body, res, (id) => transport.resumable(id));
    const request = found.beginRequest();
    // A response closed before it ended means the client hung up (e.g. dropped its GET stream).
    res.once("close", () => request.done(!res.writableFinished));
    // A GET stream is authenticated once: it ends when the OAuth access token or JWT it was opened
    // with expires, and the client opens it again with a fresh one (POSTs are checked each time).
    if (req.method === "GET" && auth.tokenExpiresAt) endAtTokenExpiry(res, auth.tokenExpiresAt);
    await found.client.handleRequest(req, res, body);
    return;
  }

  const connection = await authorizedConnection(deps, auth, slug, PREFIX);
  const body = await readMessages(deps, req, read);
  if (body !== undefined) checkMcpHeaders(req.headers, body);
  const sessionless = req.method === "POST" && !isInitializeRequest(body) ? sessionlessVersion(req, body) : null;
  if (sessionless) {
    checkSessionlessHeaders(req.headers, body);
    const key = `${auth.grant.id} ${slug}`;
    let bySocket = sessionlessBySocket.get(req.socket);
    if (!bySocket) {
      bySocket = new Map();
      sessionlessBySocket.set(req.socket, bySocket);
      const sessions = bySocket;
      // The client's connection is gone: so is its sessionless session.
      req.socket.once("close", () => {
        for (const session of sessions.values()) void session.close("client went away");
      });
    }
    let session = bySocket.get(key);
    if (!session || session.isClosed) {
      session = await openHttpSession(deps, { auth, connection, slug, body, bearer: bearerOf(req.headers.authorization), sessionless });
      bySocket.set(key, session);
    }
    // Mcp-Param-* against the tools this connection's client was shown.
    checkMcpHeaders(req.headers, body, clientOf(session).paramHeaders);
    session.updateGrant(auth.grant);
    session.watchRequestStream(body, res);
    const request = session.beginRequest();
    res.once("close", () => request.done(!res.writableFinished));
    await clientOf(session).handleRequest(req, res, body);
    return;
  }
  if (req.method !== "POST" || !isInitializeRequest(body)) {
    throw new GatewayError(
      "INVALID_REQUEST",
      "Mcp-Session-Id header is required: start with an initialize request (protocol versions 2025-03-26 to 2025-11-25), or send MCP-Protocol-Version: 2026-07-28 for sessionless requests.",
    );
  }

  const session = await openHttpSession(deps, { auth, connection, slug, body, bearer: bearerOf(req.headers.authorization) });
  const request = session.beginRequest();
  res.once("close", () => request.done(!res.writableFinished));
  await clientOf(session).handleRequest(req, res, body);
}

function endAtTokenExpiry(res: ServerResponse, expiresAt: Date): void {
  const timer = setTimeout(
    () => {
      if (!res.writableEnded) res.end();
    },
    Math.max(0, expiresAt.getTime() - Date.now()),
  );
  timer.unref();
  res.once("close", () => clearTimeout(timer));
}

/** The lean server transport of a session this listener opened. */
function clientOf(session: GatewaySession): ClientHttpTransport {
  if (!(session.client instanceof ClientHttpTransport)) throw new GatewayError("INTERNAL", "Internal gateway error.");
  return session.client;
}

/** Opens a Streamable HTTP session (the shared steps of open-session.ts) with its ClientHttpTransport. */
async function openHttpSession(
  deps: ListenerDeps,
  options: {
    auth: Caller;
    connection: UpstreamConnection;
    slug: string;
    body: unknown;
    bearer: string | null;
    /** 2026-07-28+: the version; no initialize, no Mcp-Session-Id. */
    sessionless?: string;
  },
): Promise<GatewaySession> {
  const { body, sessionless } = options;
  const meta = (body as { params?: { _meta?: Record<string, unknown> } } | undefined)?.params?._meta;
  const params = isInitializeRequest(body)
    ? (Array.isArray(body) ? body[0] : body).params
    : sessionless
      ? { protocolVersion: sessionless, clientInfo: meta?.[META_CLIENT_INFO] }
      : undefined;
  const session = await openListenedSession(deps, {
    caller: options.auth,
    connection: options.connection,
    slug: options.slug,
    transport: "streamable-http",
    bearer: options.bearer,
    protocolVersion: typeof params?.protocolVersion === "string" ? params.protocolVersion : null,
    clientInfo: params?.clientInfo ?? null,
    client: ({ id, upstream, session }) => {
      // Sessionless: every upstream request says the client's version (its _meta may lack it; the upstream then refuses it itself).
      if (sessionless && upstream.transport instanceof HttpUpstreamTransport) upstream.transport.setSessionless(sessionless);
      else if (sessionless) upstream.transport.setProtocolVersion?.(sessionless);
      return new ClientHttpTransport(id, {
        onsessionclosed: () => void session().close("client ended session"),
        sessionless: sessionless !== undefined,
        ...(deps.keepAliveMs !== undefined ? { keepAliveMs: deps.keepAliveMs } : {}),
        statusOf: (rpcId) => (upstream.transport instanceof HttpUpstreamTransport ? upstream.transport.takeStatus(rpcId) : undefined),
        streamedOf: (rpcId) => upstream.transport instanceof HttpUpstreamTransport && upstream.transport.takeStreamed(rpcId),
      });
    },
  });
  const transport = clientOf(session);
  transport.onmessage = (message) => void session.fromClient(message);
  transport.onclose = () => void session.close("client transport closed");
  return session;
}
