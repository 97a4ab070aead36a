import type { IncomingMessage, ServerResponse } from "node:http";
import { loadConnection, type UpstreamConnection } from "../../lib/connections/load-connection.ts";
import { transportName } from "../../lib/connections/transport.ts";
import type { Db } from "../../lib/db/client.ts";
import type { EventWriter } from "../../lib/recording/event-writer.ts";
import { SessionRecorder } from "../../lib/recording/session-recorder.ts";
import { endSession, startSession } from "../../lib/recording/sessions.ts";
import type { JwtVerifier } from "../../lib/tokens/jwt-verifier.ts";
import type { GatewayTokenGrant } from "../../lib/tokens/resolve-gateway-token.ts";
import { GatewayError } from "../errors.ts";
import type { SessionLimits } from "../limits.ts";
import type { Logger } from "../log.ts";
import type { GatewayMetrics } from "../metrics.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import { authorize } from "../pipeline/authorize.ts";
import { checkMcpHeaders } from "../pipeline/check-mcp-headers.ts";
import type { GrantCache } from "../pipeline/grant-cache.ts";
import type { HeldCalls } from "../pipeline/hold.ts";
import { type PolicyCache, PolicyUnavailableError } from "../policy-cache.ts";
import type { SessionRegistry } from "../registry.ts";
import { bearerOf, scrubbingLogger } from "../secrets.ts";
import { GatewaySession } from "../session.ts";
import { describeUpstreamFailure } from "../upstream/describe-failure.ts";
import { type OpenedUpstream, openUpstream } from "../upstream/open-upstream.ts";
import { HttpUpstreamTransport } from "../upstream/streamable-http.ts";
import { parseJsonRpcBody, readBody } from "./body.ts";
import { ClientHttpTransport } from "./client-transport.ts";

export interface ListenerDeps {
  db: Db;
  writer: EventWriter;
  registry: SessionRegistry;
  policies: PolicyCache;
  vaultKey: Buffer | null;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  sessionIdleMs: number;
  sessionGoneMs: number;
  /** Caps on open sessions and stdio children: a new session takes a slot or is refused (429). */
  limits: SessionLimits;
  log: Logger;
  metrics: GatewayMetrics;
  /** Calls held for approval: sessions hold require-approval calls until an approver decides. */
  holds?: HeldCalls;
  /** Gateway token → grant in memory, kept current by the grant watcher (absent: a query per request). */
  grants?: GrantCache;
  /** Verifies service accounts' IdP-issued JWTs (absent: JWTs are refused). */
  jwt?: JwtVerifier;
}

const META_VERSION = "io.modelcontextprotocol/protocolVersion";
const META_CLIENT_INFO = "io.modelcontextprotocol/clientInfo";

/** 2026-07-28 and later: no initialize and no session; the version is in the header or each request's _meta. */
function sessionlessVersion(req: IncomingMessage, body: unknown): string | null {
  const header = req.headers["mcp-protocol-version"];
  const first = (Array.isArray(body) ? body[0] : body) as { params?: { _meta?: Record<string, unknown> } } | undefined;
  const meta = first?.params?._meta?.[META_VERSION];
  const version = typeof header === "string" ? header : typeof meta === "string" ? meta : null;
  return version !== null && /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= "2026-07-28" ? version : null;
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
 * Streamable HTTP towards clients (`/mcp/<slug>`): authenticate and authorize every HTTP request
 * before the MCP transport sees it, then hand it to the SDK's server transport of the session,
 * which speaks the protocol (sessions, SSE streams, Accept and version headers) to the client.
 */
/** Without Postgres nothing can be checked or recorded, so nothing is let through (fail closed). */
async function needsDatabase<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new GatewayError(
      "DATABASE_UNAVAILABLE",
      "Tollgate cannot reach its database, so it cannot check your grant or record the call; access is refused until it is back. Try again shortly.",
    );
  }
}

/** The connection named in the URL, which the token's grant must cover. */
async function authorizedConnection(deps: ListenerDeps, auth: GatewayTokenGrant, slug: string): Promise<UpstreamConnection> {
  const connection = await needsDatabase(loadConnection(deps.db, { slug, vaultKey: deps.vaultKey }));
  if (!connection)
    throw new GatewayError(
      "UNKNOWN_CONNECTION",
      `No MCP connection "${slug}" is registered in Tollgate. Check the URL: /mcp/<connection-slug>.`,
    );
  authorize(auth.grant, connection);
  return connection;
}

/** The id of a single JSON-RPC request, for refusals of it; null otherwise. */
function requestIdOf(body: unknown): string | number | null {
  if (!body || typeof body !== "object" || Array.isArray(body) || !("method" in body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

export async function handleStreamableHttp(deps: ListenerDeps, req: IncomingMessage, res: ServerResponse, slug: string): Promise<void> {
  const read: { body?: unknown } = {};
  try {
    await handle(deps, req, res, slug, read);
  } catch (error) {
    // A refusal of a request whose body was read names that request's id.
    if (error instanceof GatewayError && error.rpcId === undefined) error.rpcId = requestIdOf(read.body);
    throw error;
  }
}

async function readMessages(deps: ListenerDeps, req: IncomingMessage, read: { body?: unknown }): Promise<unknown> {
  if (req.method !== "POST") return undefined;
  read.body = parseJsonRpcBody(await readBody(req, deps.maxBodyBytes));
  return read.body;
}

async function handle(
  deps: ListenerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  slug: string,
  read: { body?: unknown },
): Promise<void> {
  const auth = await needsDatabase(authenticate(deps.db, req.headers, deps.grants, { verifier: deps.jwt ?? null, connectionSlug: slug }));
  const sessionHeader = req.headers["mcp-session-id"];
  const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;

  if (sessionId) {
    const found = deps.registry.get(sessionId);
    // Session ids are not credentials: a session answers only to the grant that opened it, at its own URL.
    if (!found || found.grant.id !== auth.grant.id || found.connection.slug !== slug || found.isClosed) {
      // Say what is wrong with the grant or the URL first, if anything; else the session is gone.
      await authorizedConnection(deps, auth, slug);
      throw new GatewayError("SESSION_NOT_FOUND", "Session not found or ended; initialize a new session.");
    }
    // A live session already knows its connection: no lookup on the hot path.
    authorize(auth.grant, found.connection);
    const body = await readMessages(deps, req, read);
    if (body !== undefined) checkMcpHeaders(req.headers, body);
    found.updateGrant(auth.grant);
    // A held call whose client closes this response has lost its client: the hold ends.
    found.watchRequestStream(body, res);
    const request = found.beginRequest();
    // A response closed before it ended means the client hung up (e.g. dropped its GET stream).
    res.once("close", () => request.done(!res.writableFinished));
    await (found.client as ClientHttpTransport).handleRequest(req, res, body);
    return;
  }

  const connection = await authorizedConnection(deps, auth, slug);
  const body = await readMessages(deps, req, read);
  if (body !== undefined) checkMcpHeaders(req.headers, body);
  const sessionless = req.method === "POST" && !isInitializeRequest(body) ? sessionlessVersion(req, body) : null;
  if (sessionless) {
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
      const slot = deps.limits.reserve({
        grantId: auth.grant.id,
        userId: auth.user.id,
        stdio: transportName(connection.transport) === "stdio",
      });
      try {
        session = await openSession(deps, {
          auth,
          connection,
          slug,
          body,
          bearer: bearerOf(req.headers.authorization),
          release: slot.release,
          sessionless,
        });
      } catch (error) {
        slot.release();
        throw error;
      }
      bySocket.set(key, session);
    }
    session.updateGrant(auth.grant);
    session.watchRequestStream(body, res);
    const request = session.beginRequest();
    res.once("close", () => request.done(!res.writableFinished));
    await (session.client as ClientHttpTransport).handleRequest(req, res, body);
    return;
  }
  if (req.method !== "POST" || !isInitializeRequest(body)) {
    throw new GatewayError(
      "INVALID_REQUEST",
      "Mcp-Session-Id header is required: start with an initialize request (protocol versions 2025-03-26 to 2025-11-25), or send MCP-Protocol-Version: 2026-07-28 for sessionless requests.",
    );
  }

  // Taken before anything is awaited, so concurrent initializes cannot all slip under a cap.
  const slot = deps.limits.reserve({
    grantId: auth.grant.id,
    userId: auth.user.id,
    stdio: transportName(connection.transport) === "stdio",
  });
  let session: GatewaySession;
  try {
    session = await openSession(deps, { auth, connection, slug, body, bearer: bearerOf(req.headers.authorization), release: slot.release });
  } catch (error) {
    slot.release();
    throw error;
  }
  const request = session.beginRequest();
  res.once("close", () => request.done(!res.writableFinished));
  await (session.client as ClientHttpTransport).handleRequest(req, res, body);
}

/** Records a new session, opens its upstream and starts it; the caller has taken its slot, and `release` gives it back. */
async function openSession(
  deps: ListenerDeps,
  options: {
    auth: GatewayTokenGrant;
    connection: UpstreamConnection;
    slug: string;
    body: unknown;
    bearer: string | null;
    release: () => void;
    /** 2026-07-28+: the version; no initialize, no Mcp-Session-Id. */
    sessionless?: string;
  },
): Promise<GatewaySession> {
  const { auth, connection, slug, body } = options;
  // The policy must be in memory before the first message: every message is checked against it.
  await needsDatabase(
    deps.policies.load(connection.id).catch((error: unknown) => {
      throw error instanceof PolicyUnavailableError ? new GatewayError("POLICY_UNAVAILABLE", error.message) : error;
    }),
  );
  const meta = (body as { params?: { _meta?: Record<string, unknown> } } | undefined)?.params?._meta;
  const params = isInitializeRequest(body)
    ? (Array.isArray(body) ? body[0] : body).params
    : options.sessionless
      ? { protocolVersion: options.sessionless, clientInfo: meta?.[META_CLIENT_INFO] }
      : undefined;
  const id = await needsDatabase(
    startSession(deps.db, {
      grantId: auth.grant.id,
      gatewayTokenId: auth.tokenId,
      userId: auth.user.id,
      connectionId: connection.id,
      transport: "streamable-http",
      protocolVersion: typeof params?.protocolVersion === "string" ? params.protocolVersion : null,
      clientInfo: params?.clientInfo ?? null,
    }),
  );
  const log = deps.log.child({ session: id, connection: slug, user: auth.user.email });
  let upstream: OpenedUpstream;
  try {
    upstream = openUpstream(connection, { onStderr: (line) => log.info("upstream stderr", { line }), bearer: options.bearer });
  } catch (error) {
    // Our own errors (no key, a credential that does not decrypt, no command or URL): logged, not shown.
    log.error("could not open the upstream", { error: (error as Error).message });
    await endSession(deps.db, { sessionId: id, reason: "upstream failed to start" });
    throw new GatewayError(
      "UPSTREAM_UNAVAILABLE",
      `Could not open the upstream for "${slug}": its credential could not be opened or its configuration is incomplete. An admin must check the connection.`,
    );
  }
  // Our own lean Streamable HTTP server side (JSON when possible, SSE when something streams).
  // Sessionless: every upstream request says the client's version (its _meta may lack it; the upstream then refuses it itself).
  if (options.sessionless) upstream.transport.setProtocolVersion?.(options.sessionless);
  const transport = new ClientHttpTransport(id, {
    onsessionclosed: () => void session.close("client ended session"),
    sessionless: options.sessionless !== undefined,
    statusOf: (rpcId) => (upstream.transport instanceof HttpUpstreamTransport ? upstream.transport.takeStatus(rpcId) : undefined),
  });
  const session = new GatewaySession({
    id,
    userId: auth.user.id,
    tokenId: auth.tokenId,
    grant: auth.grant,
    connection,
    client: transport,
    upstream: upstream.transport,
    secrets: upstream.secrets,
    recorder: new SessionRecorder(deps.writer, id),
    policies: deps.policies,
    db: deps.db,
    log,
    requestTimeoutMs: deps.requestTimeoutMs,
    idleMs: deps.sessionIdleMs,
    goneMs: deps.sessionGoneMs,
    onClosed: (closed) => {
      deps.registry.remove(closed);
      options.release();
    },
    metrics: deps.metrics.connection(slug),
    holds: deps.holds,
  });
  transport.onmessage = (message) => void session.fromClient(message);
  transport.onclose = () => void session.close("client transport closed");
  try {
    await session.start();
  } catch (error) {
    // A spawn or network error can quote a command line or a header value: summarised for the client.
    const failure = describeUpstreamFailure(error);
    scrubbingLogger(log, upstream.secrets).warn("upstream failed to start", { failure, error: (error as Error).message });
    await session.close("upstream failed to start");
    throw new GatewayError("UPSTREAM_UNAVAILABLE", `Could not start the upstream MCP server for "${slug}": ${failure}.`);
  }
  deps.registry.add(session);
  deps.metrics.sessionStarted(slug);
  log.info("session started");
  return session;
}
