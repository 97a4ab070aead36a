import type { IncomingHttpHeaders } from "node:http";
import { loadConnection, type UpstreamConnection } from "../../lib/connections/load-connection.ts";
import { isSecretParameter } from "../../lib/connections/schema.ts";
import { transportName } from "../../lib/connections/transport.ts";
import { SessionRecorder } from "../../lib/recording/session-recorder.ts";
import { endSession, startSession } from "../../lib/recording/sessions.ts";
import { GatewayError } from "../errors.ts";
import type { SessionSlot } from "../limits.ts";
import { authenticate } from "../pipeline/authenticate.ts";
import { authorize } from "../pipeline/authorize.ts";
import { PolicyUnavailableError } from "../policy-cache.ts";
import { scrubbingLogger } from "../secrets.ts";
import { type ClientSide, GatewaySession, type GatewaySessionOptions } from "../session.ts";
import { describeUpstreamFailure } from "../upstream/describe-failure.ts";
import { type OpenedUpstream, openUpstream } from "../upstream/open-upstream.ts";
import type { ListenerDeps } from "./streamable-http.ts";

// The steps every listener (Streamable HTTP, WebSocket, legacy HTTP+SSE) takes to open a session:
// authenticate → authorize → take a slot (caps) → load the policy → record the session → open and
// start the upstream.

/** What the legacy SSE and WebSocket listeners need besides the Streamable HTTP listener's deps. */
export interface TransportListenerDeps extends ListenerDeps {
  /** SSE keep-alive comments and WebSocket pings this often; a socket that missed a pong is cut. */
  keepAliveMs: number;
  /** GATEWAY_PUBLIC_URL: the origin a 401 names for the OAuth protected resource metadata (else the Host used). */
  publicUrl?: string;
}

/** The caller, as `authenticate` resolved them. */
export type Caller = Awaited<ReturnType<typeof authenticate>>;

/** Without Postgres nothing can be checked or recorded, so nothing is let through (fail closed). */
export async function needsDatabase<T>(work: Promise<T>): Promise<T> {
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

/** The prefix of a bearer token sent as a `Sec-WebSocket-Protocol` entry, for clients that cannot set headers. */
export const BEARER_PROTOCOL_PREFIX = "tollgate.bearer.";

/**
 * A token in a URL ends up in access logs, proxies and shell history: refused, even a valid one.
 * Any query parameter whose name looks like a credential (`token`, `access_token`, `api_key`…) or
 * whose value looks like a Tollgate token or a JWT counts; `allowed` names parameters that are not
 * credentials here (the SSE message endpoint's `sessionId`).
 */
export function refuseTokenInUrl(url: URL, allowed: readonly string[] = []): void {
  for (const [name, value] of url.searchParams) {
    if (allowed.includes(name)) continue;
    if (isSecretParameter(name) || /^tgg?_|^eyJ[\w-]+\.[\w-]+\./.test(value)) {
      throw new GatewayError(
        "UNAUTHENTICATED",
        `A token in the URL is refused (query parameter "${name.slice(0, 40)}"): URLs end up in logs. Send it as "Authorization: Bearer <token>", or, from a WebSocket client that cannot set headers, as a Sec-WebSocket-Protocol entry "${BEARER_PROTOCOL_PREFIX}<token>".`,
      );
    }
  }
}

/**
 * Step 1 (with the database's failure refused as such): a gateway token or a service account's JWT
 * for the connection `slug`. The headers may carry a token lifted from elsewhere (a WebSocket subprotocol entry).
 */
export function authenticateCaller(deps: ListenerDeps, headers: IncomingHttpHeaders, slug: string): Promise<Caller> {
  return needsDatabase(authenticate(deps.db, headers, deps.grants, { verifier: deps.jwt ?? null, connectionSlug: slug }));
}

/** The connection named in the URL, which the caller's grant must cover. */
export async function authorizedConnection(deps: ListenerDeps, caller: Caller, slug: string, prefix: string): Promise<UpstreamConnection> {
  const connection = await needsDatabase(loadConnection(deps.db, { slug, vaultKey: deps.vaultKey }));
  if (!connection)
    throw new GatewayError(
      "UNKNOWN_CONNECTION",
      `No MCP connection "${slug}" is registered in Tollgate. Check the URL: ${prefix}/<connection-slug>.`,
    );
  authorize(caller.grant, connection);
  return connection;
}

/**
 * A session that remembers why it ended, so that its client side can tell the client
 * (a WebSocket close code and reason).
 */
export class ListenedSession extends GatewaySession {
  closeReason: string | null = null;
  /** Gives the session's cap slots back (idempotent; ending the session does it too). */
  releaseSlot: (() => void) | undefined;

  override async close(reason: string): Promise<void> {
    this.closeReason ??= reason;
    return super.close(reason);
  }
}

/**
 * Takes the caller's slot (caps), then opens the session: policy in memory, session recorded,
 * upstream opened and started. The slot is given back if anything fails, and when the session ends.
 * Messages from the client go to `session.fromClient`, which the listener calls.
 */
export interface OpenSessionOptions {
  caller: Caller;
  connection: UpstreamConnection;
  slug: string;
  /** The session's transport as recorded: "streamable-http", "sse" or "websocket". */
  transport: string;
  /** The client side, or how to make it once the session id and the upstream exist. */
  client: ClientSide | ((context: ClientContext) => ClientSide);
  /** The client's bearer token: scrubbed from everything the gateway writes. */
  bearer: string | null;
  /** Known at the start for Streamable HTTP (initialize, or a sessionless request's _meta). */
  protocolVersion?: string | null;
  clientInfo?: unknown;
  /**
   * A slot the listener took before the session could open (a legacy SSE stream takes it on GET and
   * opens its session on the first message). The session owns it from now on: it is given back if
   * the open fails, and when the session ends.
   */
  slot?: SessionSlot;
}

export async function openListenedSession(deps: ListenerDeps, options: OpenSessionOptions): Promise<ListenedSession> {
  const { caller, connection } = options;
  // Taken before anything is awaited, so concurrent opens cannot all slip under a cap.
  const slot = options.slot ?? takeSessionSlot(deps, caller, connection);
  try {
    const session = await openSession(deps, { ...options, release: slot.release });
    session.releaseSlot = slot.release;
    return session;
  } catch (error) {
    slot.release();
    throw error;
  }
}

/**
 * Takes a slot for the caller's new session on `connection` (a stdio connection's also counts
 * against the stdio-children cap). At the per-grant or per-user cap it first ends the
 * caller's session whose client hung up longest ago and has not come back (nothing open, nothing
 * unanswered or held): it would end after GATEWAY_SESSION_GONE_MS anyway. So a client that runs one
 * short session after another without DELETE (the Inspector's CLI, mcp-remote restarted, a script)
 * is not refused for the sessions it already left. Synchronous, like the reservation itself.
 */
export function takeSessionSlot(deps: ListenerDeps, caller: Caller, connection: UpstreamConnection): SessionSlot {
  const wanted = { grantId: caller.grant.id, userId: caller.user.id, stdio: transportName(connection.transport) === "stdio" };
  for (;;) {
    try {
      return deps.limits.reserve(wanted);
    } catch (error) {
      const limit = error instanceof GatewayError ? error.data?.limit : undefined;
      const mine =
        limit === "sessions-per-grant"
          ? deps.registry.forGrant(caller.grant.id)
          : limit === "sessions-per-user"
            ? deps.registry.forUser(caller.user.id)
            : [];
      let left: { session: ListenedSession; since: number } | undefined;
      for (const session of mine) {
        const since = session.hungUpSince;
        if (since === null || !(session instanceof ListenedSession) || !session.releaseSlot) continue;
        if (!left || since < left.since) left = { session, since };
      }
      if (!left) throw error;
      deps.log.info("ended a session its client had left, to make room for the client's new one", {
        session: left.session.id,
        limit,
      });
      left.session.releaseSlot?.();
      void left.session.close("client went away");
    }
  }
}

/** What a listener may need to build its client side: the session comes to exist right after. */
export interface ClientContext {
  id: string;
  upstream: OpenedUpstream;
  session: () => ListenedSession;
}

async function openSession(deps: ListenerDeps, options: OpenSessionOptions & { release: () => void }): Promise<ListenedSession> {
  const { caller, connection, slug } = options;
  // The policy must be in memory before the first message: every message is checked against it.
  await needsDatabase(
    deps.policies.load(connection.id).catch((error: unknown) => {
      throw error instanceof PolicyUnavailableError ? new GatewayError("POLICY_UNAVAILABLE", error.message) : error;
    }),
  );
  // Without them now (WebSocket, SSE), the initialize result's version is noted by the session later.
  const id = await needsDatabase(
    startSession(deps.db, {
      grantId: caller.grant.id,
      gatewayTokenId: caller.tokenId,
      userId: caller.user.id,
      connectionId: connection.id,
      transport: options.transport,
      protocolVersion: options.protocolVersion ?? null,
      clientInfo: options.clientInfo ?? null,
      // The owner: if this gateway dies, a live one ends the session ("gateway lost").
      gatewayInstanceId: deps.instanceId,
    }),
  );
  const log = deps.log.child({ session: id, connection: slug, user: caller.user.email, transport: options.transport });
  let upstream: OpenedUpstream;
  try {
    upstream = openUpstream(connection, { onStderr: (line) => log.info("upstream stderr", { line }), bearer: options.bearer });
  } catch (error) {
    log.error("could not open the upstream", { error: (error as Error).message });
    await endSession(deps.db, { sessionId: id, reason: "upstream failed to start" });
    throw new GatewayError(
      "UPSTREAM_UNAVAILABLE",
      `Could not open the upstream for "${slug}": its credential could not be opened or its configuration is incomplete. An admin must check the connection.`,
    );
  }
  let session: ListenedSession | undefined;
  const client =
    typeof options.client === "function"
      ? options.client({
          id,
          upstream,
          session: () => {
            if (!session) throw new Error("the session is not built yet");
            return session;
          },
        })
      : options.client;
  const sessionOptions: GatewaySessionOptions = {
    id,
    userId: caller.user.id,
    tokenId: caller.tokenId,
    // A WebSocket or legacy SSE client authenticated once, at connect: its session ends when that
    // OAuth access token does. Streamable HTTP authenticates every request (a refreshed token
    // carries the session on), so its session lives with the grant.
    tokenExpiresAt: options.transport === "streamable-http" ? null : (caller.tokenExpiresAt ?? null),
    grant: caller.grant,
    connection,
    client,
    upstream: upstream.transport,
    secrets: upstream.secrets,
    recorder: new SessionRecorder(deps.writer, id),
    policies: deps.policies,
    db: deps.db,
    log,
    requestTimeoutMs: deps.requestTimeoutMs,
    requestMaxMs: deps.requestMaxMs,
    idleMs: deps.sessionIdleMs,
    goneMs: deps.sessionGoneMs,
    onClosed: (closed) => {
      deps.registry.remove(closed);
      options.release();
    },
    metrics: deps.metrics.connection(slug),
    holds: deps.holds,
  };
  session = new ListenedSession(sessionOptions);
  try {
    await session.start();
  } catch (error) {
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
