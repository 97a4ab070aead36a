import { performance } from "node:perf_hooks";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { GATEWAY_DEFAULTS } from "../lib/config.ts";
import type { Db } from "../lib/db/client.ts";
import type { Direction } from "../lib/db/generated/enums.ts";
import type { RecordAnnotations, SessionRecorder } from "../lib/recording/session-recorder.ts";
import { endSession } from "../lib/recording/sessions.ts";
import { GatewayError, type GatewayErrorKind, jsonRpcError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { ConnectionMetrics, RequestOutcome } from "./metrics.ts";
import { authorize, type GrantState } from "./pipeline/authorize.ts";
import { checkClientMessage, checkUpstreamMessage } from "./pipeline/policy.ts";
import type { PolicyCache } from "./policy-cache.ts";
import { scrubbingLogger, scrubDeep, scrubSecrets } from "./secrets.ts";
import { describeUpstreamFailure } from "./upstream/describe-failure.ts";

/** The client-facing side of a session: what the gateway needs from any listener transport. */
export interface ClientSide {
  send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void>;
  close(): Promise<void>;
}

function isRequest(
  message: JSONRPCMessage,
): message is JSONRPCMessage & { id: RequestId; method: string; params?: Record<string, unknown> } {
  return "method" in message && "id" in message;
}
function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return !("method" in message) && "id" in message;
}

export interface GatewaySessionOptions {
  id: string;
  userId: string;
  /** The gateway token that opened the session; revoking it ends the session. */
  tokenId: string;
  grant: GrantState;
  connection: { id: string; slug: string };
  /** The client-facing transport (its streams are closed when the session ends). */
  client: ClientSide;
  upstream: Transport;
  recorder: SessionRecorder;
  /** Compiled policies (guardrails and masking), read on every message. */
  policies: PolicyCache;
  db: Db;
  /** This session's logger: a child bound to `{ session, connection, user }`. The session scrubs `secrets` from it. */
  log: Logger;
  /**
   * The session's secrets (upstream credential values, the client's token; see `sessionSecrets`):
   * scrubbed from every error the gateway sends or records and every line it logs, and from the
   * upstream's error responses.
   */
  secrets?: readonly string[];
  /** How long a client request may wait for the upstream's answer before the gateway gives up on it. */
  requestTimeoutMs?: number;
  /**
   * A client that vanishes without DELETE must not keep an upstream (a stdio child) alive
   * forever: with no request or stream open for this long, the session ends.
   */
  idleMs?: number;
  /**
   * A client that hung up its streams (closed the connection rather than sending DELETE) and sent
   * nothing since is taken to be gone after this long (or after `idleMs`, if shorter).
   */
  goneMs?: number;
  /** Called once when the session ends (the registry forgets it). */
  onClosed?: (session: GatewaySession) => void;
  /** Counters and the request duration histogram of this session's connection. */
  metrics?: ConnectionMetrics;
}

/** A client request awaiting its upstream response. */
interface Inflight {
  timer: NodeJS.Timeout;
  /** `performance.now()` when the gateway received the request. */
  started: number;
  method: string;
}

/** The `outcome` label of a request the gateway answered itself with this error. */
function outcomeOf(kind: GatewayErrorKind): RequestOutcome {
  if (kind === "UPSTREAM_TIMEOUT") return "timeout";
  if (
    kind === "GRANT_EXPIRED" ||
    kind === "GRANT_REVOKED" ||
    kind === "WRONG_CONNECTION" ||
    kind === "UNAUTHENTICATED" ||
    kind === "POLICY_DENIED" ||
    kind === "APPROVAL_REQUIRED"
  )
    return "denied";
  return "refused";
}

/**
 * One client session bound to one grant and one upstream. Every message passes the same pipeline:
 * client → authorize → guardrails → record (masked) → upstream (unchanged), and
 * upstream → mask (and filter lists) → record → client. A message is forwarded only after its
 * record is committed; if it cannot be recorded or masked it is refused or withheld (fail closed).
 */
export class GatewaySession {
  private closed = false;
  /** Client requests awaiting their upstream response, to route related upstream messages. */
  private readonly inflight = new Map<RequestId, Inflight>();
  readonly id: string;
  readonly userId: string;
  readonly tokenId: string;
  grant: GrantState;
  readonly connection: { id: string; slug: string };
  readonly client: ClientSide;
  readonly requestTimeoutMs: number;
  readonly idleMs: number;
  readonly goneMs: number;
  private readonly secrets: readonly string[];
  private readonly upstream: Transport;
  private readonly recorder: SessionRecorder;
  private readonly policies: PolicyCache;
  private readonly db: Db;
  private readonly log: Logger;
  private readonly onClosed: ((session: GatewaySession) => void) | undefined;
  private readonly metrics: ConnectionMetrics | undefined;
  private readonly progressTokens = new Map<string | number, RequestId>();
  private expiryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Client HTTP requests of this session still open (an SSE stream counts while it is open). */
  private openRequests = 0;
  /** The client hung up a stream and has not been back since. */
  private clientHungUp = false;

  constructor(options: GatewaySessionOptions) {
    this.id = options.id;
    this.userId = options.userId;
    this.tokenId = options.tokenId;
    this.grant = options.grant;
    this.connection = options.connection;
    this.client = options.client;
    this.upstream = options.upstream;
    this.recorder = options.recorder;
    this.policies = options.policies;
    this.db = options.db;
    this.secrets = options.secrets ?? [];
    this.log = scrubbingLogger(options.log, this.secrets);
    this.requestTimeoutMs = options.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs;
    this.idleMs = options.idleMs ?? GATEWAY_DEFAULTS.sessionIdleMs;
    this.goneMs = options.goneMs ?? GATEWAY_DEFAULTS.sessionGoneMs;
    this.onClosed = options.onClosed;
    this.metrics = options.metrics;
  }

  async start(): Promise<void> {
    this.upstream.onmessage = (message) => void this.fromUpstream(message);
    this.upstream.onclose = () => void this.close("upstream closed");
    this.upstream.onerror = (error) => {
      if (!this.closed) this.log.warn("upstream error", { error: error.message });
    };
    await this.upstream.start();
    this.scheduleExpiry();
    this.armIdleTimer();
  }

  /**
   * Called when a client HTTP request of this session arrives; `done` when its response closes,
   * with `clientGone` when the client closed it before the response ended (it hung up a stream).
   */
  beginRequest(): { done: (clientGone?: boolean) => void } {
    this.openRequests += 1;
    this.clientHungUp = false;
    clearTimeout(this.idleTimer);
    let finished = false;
    return {
      done: (clientGone = false) => {
        if (finished) return;
        finished = true;
        this.openRequests -= 1;
        if (clientGone) this.clientHungUp = true;
        if (this.openRequests === 0) this.armIdleTimer();
      },
    };
  }

  /** Nothing open: end the session after `idleMs`, or sooner (`goneMs`) if the client hung up on it. */
  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.closed) return;
    const gone = this.clientHungUp && this.goneMs < this.idleMs;
    this.idleTimer = setTimeout(() => void this.close(gone ? "client went away" : "idle timeout"), gone ? this.goneMs : this.idleMs);
    this.idleTimer.unref();
  }

  /** Refreshes the grant (each authenticated HTTP request and the watcher do this). */
  updateGrant(grant: GrantState): void {
    this.grant = grant;
    this.scheduleExpiry();
  }

  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    const ms = this.grant.expiresAt.getTime() - Date.now();
    // setTimeout caps at ~24.8 days; grants are at most a day.
    this.expiryTimer = setTimeout(() => void this.close("grant expired"), Math.max(0, ms));
    this.expiryTimer.unref();
  }

  async fromClient(message: JSONRPCMessage): Promise<void> {
    const started = performance.now();
    this.metrics?.messageFromClient();
    const requestId = isRequest(message) ? message.id : undefined;
    const method = "method" in message ? message.method : "";
    try {
      if (this.closed) throw new GatewayError("SESSION_NOT_FOUND", "This session has ended; start a new one.");
      authorize(this.grant, this.connection);
      const verdict = checkClientMessage(this.policies, this.connection.id, message);
      if (!verdict.ok) {
        if (verdict.cause) this.log.error("policy could not be applied; refusing message", { error: (verdict.cause as Error).message });
        // A refused call is part of the session's story: record it (masked) with the decision.
        if (verdict.record !== undefined) await this.recordQuietly("CLIENT_TO_UPSTREAM", verdict.record, verdict.annotations);
        throw verdict.error;
      }
      try {
        await this.recorder.record("CLIENT_TO_UPSTREAM", verdict.record, verdict.annotations);
      } catch (error) {
        this.log.error("recording failed; refusing message", { error: (error as Error).message });
        throw new GatewayError(
          "RECORDING_UNAVAILABLE",
          "The gateway cannot record this call right now, so it was not forwarded. Start a new session and try again.",
        );
      }
      if (requestId !== undefined) {
        const timer = setTimeout(() => void this.timeOut(requestId), this.requestTimeoutMs).unref();
        this.inflight.set(requestId, { timer, started, method });
        const meta = (message as { params?: { _meta?: { progressToken?: string | number } } }).params?._meta;
        if (meta?.progressToken !== undefined) this.progressTokens.set(meta.progressToken, requestId);
      }
      try {
        await this.upstream.send(verdict.forward);
      } catch (error) {
        if (requestId !== undefined) this.finish(requestId);
        // The error may quote a response body or a header value: the client gets a summary, the log a scrubbed message.
        const failure = describeUpstreamFailure(error);
        this.log.warn("upstream send failed", { failure, error: (error as Error).message });
        throw new GatewayError(
          "UPSTREAM_UNAVAILABLE",
          `The upstream MCP server "${this.connection.slug}" did not accept the message: ${failure}.`,
        );
      }
    } catch (error) {
      const gatewayError = error instanceof GatewayError ? error : new GatewayError("INTERNAL", "Internal gateway error.");
      if (requestId !== undefined) await this.replyError(requestId, gatewayError, started, method);
      if (gatewayError.kind === "GRANT_EXPIRED" || gatewayError.kind === "GRANT_REVOKED") {
        void this.close(gatewayError.kind === "GRANT_EXPIRED" ? "grant expired" : "grant revoked");
      }
      // A gap in the recording cannot be repaired: end the session rather than go on unrecorded.
      if (this.recorder.failed) void this.close("recording failed");
      // A session whose upstream never initialized is of no use to anyone.
      if (gatewayError.kind === "UPSTREAM_UNAVAILABLE" && method === "initialize") void this.close("upstream unavailable");
    }
  }

  private async fromUpstream(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return;
    // An upstream error may quote the credential it was sent (a reflecting or careless server).
    if (isResponse(message) && "error" in message) message = { ...message, error: scrubDeep(message.error, this.secrets) };
    this.metrics?.messageFromUpstream();
    let relatedRequestId: RequestId | undefined;
    let answered: Inflight | undefined;
    if (isResponse(message)) {
      relatedRequestId = message.id;
      answered = this.inflight.get(message.id);
      if (!answered) {
        // Already answered by the gateway (timed out): record the late answer, do not deliver it twice.
        const late = checkUpstreamMessage(this.policies, this.connection.id, message, undefined);
        if (late.ok) await this.recordQuietly("UPSTREAM_TO_CLIENT", late.record, late.annotations);
        return;
      }
      this.finish(message.id);
      this.noteInitializeResult(message);
    } else {
      const progressToken = (message as { params?: { progressToken?: string | number } }).params?.progressToken;
      relatedRequestId = progressToken !== undefined ? this.progressTokens.get(progressToken) : undefined;
      // With exactly one call in flight, server messages belong to it (e.g. sampling during a tool call).
      if (relatedRequestId === undefined && this.inflight.size === 1) relatedRequestId = [...this.inflight.keys()][0];
    }
    const masked = checkUpstreamMessage(this.policies, this.connection.id, message, answered?.method);
    if (!masked.ok) {
      this.log.error("masking failed; withholding upstream message", { error: (masked.cause as Error | undefined)?.message });
      await this.withhold(message, masked.error, answered);
      return;
    }
    try {
      await this.recorder.record("UPSTREAM_TO_CLIENT", masked.record, masked.annotations);
    } catch (error) {
      this.log.error("recording failed; withholding upstream message", { error: (error as Error).message });
      if (isResponse(message)) {
        await this.replyError(
          message.id,
          new GatewayError("RECORDING_UNAVAILABLE", "The gateway could not record the upstream's answer, so it was withheld."),
          answered?.started,
          answered?.method,
        );
      }
      void this.close("recording failed");
      return;
    }
    try {
      await this.client.send(masked.forward, relatedRequestId !== undefined ? { relatedRequestId } : undefined);
    } catch (error) {
      this.log.warn("client send failed", { error: (error as Error).message });
    }
    if (answered) this.observe(answered.started, answered.method, "error" in message ? "error" : "ok");
  }

  /**
   * An upstream message that could not be masked never reaches the client: a response becomes an
   * error for the client, a server-to-client request is refused back to the upstream, and a
   * notification is dropped. Only the gateway's own messages about it are recorded.
   */
  private async withhold(message: JSONRPCMessage, error: GatewayError, answered: Inflight | undefined): Promise<void> {
    if (isResponse(message)) {
      await this.replyError(message.id, error, answered?.started, answered?.method);
      return;
    }
    if (isRequest(message)) {
      const refusal = jsonRpcError(message.id, error.code, scrubSecrets(error.message, this.secrets), {
        reason: error.kind,
      }) as JSONRPCMessage;
      await this.recordQuietly("GATEWAY_TO_UPSTREAM", refusal);
      await this.upstream.send(refusal).catch(() => undefined);
    }
    this.metrics?.refusal(error.kind);
  }

  private observe(started: number, method: string, outcome: RequestOutcome): void {
    this.metrics?.observeRequest(method, outcome, (performance.now() - started) / 1000);
  }

  private finish(requestId: RequestId): void {
    clearTimeout(this.inflight.get(requestId)?.timer);
    this.inflight.delete(requestId);
    for (const [token, id] of this.progressTokens) if (id === requestId) this.progressTokens.delete(token);
  }

  /** The upstream did not answer in time: answer the client, and tell the upstream to stop. */
  private async timeOut(requestId: RequestId): Promise<void> {
    const pending = this.inflight.get(requestId);
    if (this.closed || !pending) return;
    this.finish(requestId);
    const seconds = Math.round(this.requestTimeoutMs / 1000);
    await this.replyError(
      requestId,
      new GatewayError(
        "UPSTREAM_TIMEOUT",
        `The upstream MCP server "${this.connection.slug}" did not answer within ${seconds} s; the call was cancelled.`,
      ),
      pending.started,
      pending.method,
    );
    const cancel: JSONRPCMessage = {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, reason: "gateway request timeout" },
    };
    try {
      await this.recorder.record("GATEWAY_TO_UPSTREAM", cancel);
      await this.upstream.send(cancel);
    } catch (error) {
      this.log.warn("could not cancel timed-out request upstream", { error: (error as Error).message });
    }
  }

  private noteInitializeResult(message: JSONRPCMessage): void {
    const result = (message as { result?: { protocolVersion?: unknown } }).result;
    if (typeof result?.protocolVersion === "string") {
      // HTTP upstreams need the negotiated version on every later request.
      this.upstream.setProtocolVersion?.(result.protocolVersion);
      void this.db.session.update({ where: { id: this.id }, data: { protocolVersion: result.protocolVersion } }).catch(() => undefined);
    }
  }

  /**
   * Answers a client request with a gateway error, recorded like any other message. `started` and
   * `method` (when the request's arrival is known) time it in the request duration histogram.
   */
  private async replyError(id: RequestId, error: GatewayError, started?: number, method?: string): Promise<void> {
    this.metrics?.refusal(error.kind);
    const body = jsonRpcError(id, error.code, scrubSecrets(error.message, this.secrets), { reason: error.kind });
    await this.recordQuietly("GATEWAY_TO_CLIENT", body);
    await this.client.send(body as JSONRPCMessage, { relatedRequestId: id }).catch(() => undefined);
    if (started !== undefined && method !== undefined) this.observe(started, method, outcomeOf(error.kind));
  }

  private async recordQuietly(direction: Direction, payload: unknown, annotations?: RecordAnnotations): Promise<void> {
    await this.recorder
      .record(direction, payload, annotations)
      .catch((error: Error) => this.log.warn("could not record", { error: error.message }));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the session: closes the client's streams, stops the upstream (kills a stdio child), records why. */
  async close(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    clearTimeout(this.idleTimer);
    for (const pending of this.inflight.values()) clearTimeout(pending.timer);
    this.log.info("session closed", { reason });
    this.onClosed?.(this);
    // HTTP upstreams keep per-session state: end it there too (DELETE), not only our side.
    const upstream = this.upstream as Transport & { terminateSession?: () => Promise<void> };
    const terminated = upstream.terminateSession
      ? Promise.race([upstream.terminateSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
      : Promise.resolve();
    await Promise.allSettled([this.client.close(), terminated.then(() => this.upstream.close())]);
    await this.recorder.flush().catch(() => undefined);
    await endSession(this.db, { sessionId: this.id, reason }).catch((error: Error) =>
      this.log.error("could not record session end", { error: error.message }),
    );
  }
}
