import { performance } from "node:perf_hooks";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { GATEWAY_DEFAULTS } from "../lib/config.ts";
import type { Db } from "../lib/db/client.ts";
import type { Direction } from "../lib/db/generated/enums.ts";
import { argumentsHash, targetOf } from "../lib/held-calls/arguments.ts";
import type { RecordAnnotations, SessionRecorder } from "../lib/recording/session-recorder.ts";
import { endSession, storeSessionHead } from "../lib/recording/sessions.ts";
import { GatewayError, type GatewayErrorKind, jsonRpcError } from "./errors.ts";
import type { Logger } from "./log.ts";
import type { ConnectionMetrics, RequestOutcome } from "./metrics.ts";
import { authorize, type GrantState } from "./pipeline/authorize.ts";
import type { HeldCallState, HeldCalls, HoldOutcome } from "./pipeline/hold.ts";
import { checkClientMessage, checkUpstreamMessage, type Held } from "./pipeline/policy.ts";
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

/** What a held call's approval is bound to, besides the caller, the session and the connection. */
interface HeldCallIdentity {
  method: string;
  tool: string | null;
  params: unknown;
  hash: string;
  /** Method, tool and arguments hash: identical calls share it ("approve for this session"). */
  key: string;
}

function heldCallOf(message: JSONRPCMessage): HeldCallIdentity {
  const method = "method" in message ? message.method : "";
  const params = (message as { params?: unknown }).params;
  const tool = targetOf(method, params);
  const hash = argumentsHash(params);
  return { method, tool, params, hash, key: `${method}\n${tool ?? ""}\n${hash}` };
}

/** The ids of the JSON-RPC requests in a POST body (one message or a batch). */
function requestIdsIn(body: unknown): RequestId[] {
  return (Array.isArray(body) ? body : [body]).flatMap((message: unknown) => {
    if (typeof message !== "object" || message === null || !("method" in message) || !("id" in message)) return [];
    return typeof message.id === "string" || typeof message.id === "number" ? [message.id] : [];
  });
}

function holdDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} minute${Math.round(ms / 60_000) === 1 ? "" : "s"}` : `${Math.round(ms / 1000)} s`;
}

export interface GatewaySessionOptions {
  id: string;
  userId: string;
  /** The gateway token that opened the session; revoking it ends the session. */
  tokenId: string | null;
  /**
   * When the credential the session was opened with stops being valid (an OAuth access token's
   * expiry), for a session whose client authenticated once (WebSocket, the legacy SSE stream): the
   * session ends then ("access token expired"), like at its grant's expiry. Null or absent: the
   * session lives with its grant (a token minted in the portal; Streamable HTTP, whose every
   * request is authenticated anew).
   */
  tokenExpiresAt?: Date | null;
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
  /**
   * How long a client request may wait for the upstream's answer before the gateway gives up on it;
   * each progress notification for the request restarts this wait.
   */
  requestTimeoutMs?: number;
  /** However much progress it reports, a request is given up this long after it was forwarded. */
  requestMaxMs?: number;
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
  /**
   * How often the recording's committed chain head is stored while the session is open (only when
   * it moved), so verification notices deleted newest events before the session ends.
   */
  headCheckpointMs?: number;
  /** Called once when the session ends (the registry forgets it). */
  onClosed?: (session: GatewaySession) => void;
  /** Counters and the request duration histogram of this session's connection. */
  metrics?: ConnectionMetrics;
  /** The gateway's held calls; without it, require-approval calls are refused instead of held. */
  holds?: HeldCalls;
}

/** A client request awaiting its upstream response. */
interface Inflight {
  /** The request timeout; none for a request whose answer is a long-lived stream by design. */
  timer: NodeJS.Timeout | undefined;
  /** `performance.now()` when the gateway received the request. */
  started: number;
  /** `performance.now()` when the request was forwarded (a held call: once approved); the maximum counts from here. */
  forwarded: number;
  /** A progress notification restarted the timeout at least once. */
  progressed?: boolean;
  /** The timeout now armed ends at `requestMaxMs` after the forward: progress cannot extend it further. */
  capped?: boolean;
  method: string;
  /** A held call forwarded after its approval: its duration counts as `held`, whatever the upstream answers. */
  outcome?: RequestOutcome;
}

/**
 * Requests whose answer is a long-lived SSE stream by design (2026-07-28 `subscriptions/listen`):
 * no request timeout; they end when the client closes the stream or the upstream ends it.
 */
const LONG_LIVED_METHODS = new Set(["subscriptions/listen"]);

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
  /** null when the caller authenticated with an IdP-issued JWT rather than a gateway token. */
  readonly tokenId: string | null;
  grant: GrantState;
  private readonly tokenExpiresAt: Date | null;
  readonly connection: { id: string; slug: string };
  readonly client: ClientSide;
  readonly requestTimeoutMs: number;
  readonly requestMaxMs: number;
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
  /** Requests held for approval: how to stop waiting, and a promise settled once the request is answered. */
  private readonly held = new Map<RequestId, { abort: AbortController; done: Promise<void> }>();
  /** Keys (method, tool, arguments hash) of calls approved for the rest of this session. */
  private readonly approvedForSession = new Set<string>();
  private readonly holds: HeldCalls | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private headTimer: NodeJS.Timeout | undefined;
  private readonly headCheckpointMs: number;
  /** The seq of the chain head stored last (0: none yet). */
  private storedHeadSeq = 0;
  /** Client HTTP requests of this session still open (an SSE stream counts while it is open). */
  private openRequests = 0;
  /** The client hung up a stream and has not been back since. */
  private clientHungUp = false;
  /** When (performance.now()) the client last hung up a stream. */
  private hungUpAt = 0;

  constructor(options: GatewaySessionOptions) {
    this.id = options.id;
    this.userId = options.userId;
    this.tokenId = options.tokenId;
    this.grant = options.grant;
    this.tokenExpiresAt = options.tokenExpiresAt ?? null;
    this.connection = options.connection;
    this.client = options.client;
    this.upstream = options.upstream;
    this.recorder = options.recorder;
    this.policies = options.policies;
    this.db = options.db;
    this.secrets = options.secrets ?? [];
    this.log = scrubbingLogger(options.log, this.secrets);
    this.requestTimeoutMs = options.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs;
    this.requestMaxMs = Math.max(this.requestTimeoutMs, options.requestMaxMs ?? GATEWAY_DEFAULTS.requestMaxMs);
    this.idleMs = options.idleMs ?? GATEWAY_DEFAULTS.sessionIdleMs;
    this.goneMs = options.goneMs ?? GATEWAY_DEFAULTS.sessionGoneMs;
    this.headCheckpointMs = options.headCheckpointMs ?? 30_000;
    this.onClosed = options.onClosed;
    this.metrics = options.metrics;
    this.holds = options.holds;
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
    this.headTimer = setInterval(() => void this.checkpointHead(), this.headCheckpointMs).unref();
  }

  /** Stores the recording's committed chain head on the open session's row, if it moved since last time. */
  async checkpointHead(): Promise<void> {
    const head = this.recorder.committedHead;
    if (this.closed || this.recorder.failed || head.seq === this.storedHeadSeq) return;
    try {
      await storeSessionHead(this.db, { sessionId: this.id, head });
      this.storedHeadSeq = head.seq;
    } catch (error) {
      this.log.warn("could not checkpoint the recording's chain head", { error: (error as Error).message });
    }
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
        if (clientGone) {
          this.clientHungUp = true;
          this.hungUpAt = performance.now();
        }
        if (this.openRequests === 0) this.armIdleTimer();
      },
    };
  }

  /**
   * When (performance.now()) its client hung up, for a session that is waiting out `goneMs` to see
   * whether the client comes back: nothing open, no request unanswered or held. Null otherwise.
   */
  get hungUpSince(): number | null {
    if (this.closed || !this.clientHungUp || this.openRequests > 0 || this.inflight.size > 0 || this.held.size > 0) return null;
    return this.hungUpAt;
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
    const sameExpiry = grant.expiresAt.getTime() === this.grant.expiresAt.getTime();
    this.grant = grant;
    // The usual case, a request under the same grant: the expiry timer already fires at the right time.
    if (!sameExpiry || this.expiryTimer === undefined) this.scheduleExpiry();
  }

  /** Ends the session when its grant expires, or its access token before that (see `tokenExpiresAt`). */
  private scheduleExpiry(): void {
    clearTimeout(this.expiryTimer);
    const grantEnds = this.grant.expiresAt.getTime();
    const tokenEnds = this.tokenExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const reason = tokenEnds < grantEnds ? "access token expired" : "grant expired";
    const ms = Math.min(grantEnds, tokenEnds) - Date.now();
    // setTimeout caps at ~24.8 days; grants are at most a day.
    this.expiryTimer = setTimeout(() => void this.close(reason), Math.max(0, ms));
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
      let verdict = checkClientMessage(this.policies, this.connection.id, message);
      if (verdict.hold && requestId !== undefined && this.holds) {
        const call = heldCallOf(message);
        if (!this.approvedForSession.has(call.key)) {
          await this.holdCall(verdict, requestId, call, this.holds, started);
          return;
        }
        // Approved for the rest of the session: an identical call passes without a new hold.
        const annotations = { ...verdict.annotations, decision: "approved-for-session" };
        verdict = { ok: true, forward: verdict.forward, record: verdict.record, annotations };
      }
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
      // The upstream never saw a held request, so it does not see its cancellation either.
      if (this.cancelsHeld(message)) return;
      if (requestId !== undefined) {
        const timer = LONG_LIVED_METHODS.has(method)
          ? undefined
          : setTimeout(() => void this.timeOut(requestId), this.requestTimeoutMs).unref();
        this.inflight.set(requestId, { timer, started, forwarded: performance.now(), method });
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
      if (relatedRequestId !== undefined && "method" in message && message.method === "notifications/progress") {
        this.restartTimeout(relatedRequestId);
      }
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
    if (answered) this.observe(answered.started, answered.method, answered.outcome ?? ("error" in message ? "error" : "ok"));
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

  /**
   * A progress notification for a request: the upstream is still working on it, so its timeout
   * starts again (as the MCP spec allows), but never past `requestMaxMs` after it was forwarded.
   */
  private restartTimeout(requestId: RequestId): void {
    const pending = this.inflight.get(requestId);
    if (!pending?.timer) return;
    clearTimeout(pending.timer);
    pending.progressed = true;
    const left = pending.forwarded + this.requestMaxMs - performance.now();
    pending.capped = left <= this.requestTimeoutMs;
    pending.timer = setTimeout(() => void this.timeOut(requestId), Math.max(0, Math.min(this.requestTimeoutMs, left))).unref();
  }

  /** The upstream did not answer in time: answer the client, and tell the upstream to stop. */
  private async timeOut(requestId: RequestId): Promise<void> {
    const pending = this.inflight.get(requestId);
    if (this.closed || !pending) return;
    this.finish(requestId);
    const seconds = Math.round(this.requestTimeoutMs / 1000);
    const slug = this.connection.slug;
    const message = pending.capped
      ? `The upstream MCP server "${slug}" did not answer within ${holdDuration(this.requestMaxMs)}, the longest the gateway lets a request run (progress notifications do not extend it further); the call was cancelled.`
      : pending.progressed
        ? `The upstream MCP server "${slug}" did not answer or report progress within ${seconds} s of its last progress notification; the call was cancelled.`
        : `The upstream MCP server "${slug}" did not answer within ${seconds} s; the call was cancelled.`;
    await this.replyError(
      requestId,
      new GatewayError("UPSTREAM_TIMEOUT", message),
      pending.started,
      pending.method,
      pending.outcome ? { outcome: pending.outcome } : undefined,
    );
    await this.cancelUpstream(requestId, "gateway request timeout");
  }

  /** Tells the upstream to stop working on a request (recorded, like every message the gateway sends it). */
  private async cancelUpstream(requestId: RequestId, reason: string): Promise<void> {
    const cancel: JSONRPCMessage = {
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId, reason },
    };
    try {
      await this.recorder.record("GATEWAY_TO_UPSTREAM", cancel);
      await this.upstream.send(cancel);
    } catch (error) {
      this.log.warn("could not cancel request upstream", { reason, error: (error as Error).message });
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
  private async replyError(
    id: RequestId,
    error: GatewayError,
    started?: number,
    method?: string,
    /** For held calls: the `held` outcome, and the decision recorded with the answer. */
    held?: { outcome?: RequestOutcome; decision?: string },
  ): Promise<void> {
    this.metrics?.refusal(error.kind);
    const body = jsonRpcError(id, error.code, scrubSecrets(error.message, this.secrets), { reason: error.kind });
    await this.recordQuietly("GATEWAY_TO_CLIENT", body, held?.decision ? { decision: held.decision } : undefined);
    await this.client.send(body as JSONRPCMessage, { relatedRequestId: id }).catch(() => undefined);
    if (started !== undefined && method !== undefined) this.observe(started, method, held?.outcome ?? outcomeOf(error.kind));
  }

  private async recordQuietly(direction: Direction, payload: unknown, annotations?: RecordAnnotations): Promise<void> {
    await this.recorder
      .record(direction, payload, annotations)
      .catch((error: Error) => this.log.warn("could not record", { error: error.message }));
  }

  /**
   * A require-approval call: recorded (masked, decision `require-approval`), then held — not
   * forwarded — until an approver decides, its deadline passes, or the client, the session or the
   * grant ends it. Approved, exactly this message goes upstream, after the approval's binding
   * (caller, session, connection, method, tool, arguments hash) is checked against it; the forward is
   * recorded as GATEWAY_TO_UPSTREAM with decision `approved` or `approved-for-session`. Any other
   * end is an error for the client, recorded with `denied`, `expired`, `cancelled`, `abandoned` or
   * `binding-mismatch`. While held, a client that sent a progress token gets progress notifications
   * (the SDK transport also writes SSE keep-alive comments on the open stream).
   */
  private async holdCall(verdict: Held, requestId: RequestId, call: HeldCallIdentity, holds: HeldCalls, started: number): Promise<void> {
    const abort = new AbortController();
    let answered = () => {};
    this.held.set(requestId, { abort, done: new Promise<void>((resolve) => (answered = resolve)) });
    const held = { outcome: "held" as const };
    const meta = (verdict.forward as { params?: { _meta?: { progressToken?: string | number } } }).params?._meta;
    const progressToken = meta?.progressToken;
    try {
      try {
        await this.recorder.record("CLIENT_TO_UPSTREAM", verdict.record, verdict.annotations);
      } catch (error) {
        this.log.error("recording failed; refusing message", { error: (error as Error).message });
        throw new GatewayError(
          "RECORDING_UNAVAILABLE",
          "The gateway cannot record this call right now, so it was not forwarded. Start a new session and try again.",
        );
      }
      let outcome: HoldOutcome;
      try {
        outcome = await holds.hold(
          {
            callerId: this.userId,
            sessionId: this.id,
            connectionId: this.connection.id,
            rpcId: requestId,
            method: call.method,
            tool: call.tool,
            arguments: call.params ?? {},
            argumentsHash: call.hash,
            rule: verdict.hold.rule,
          },
          abort.signal,
          progressToken === undefined ? undefined : (progress) => this.holdProgress(requestId, progressToken, progress),
        );
      } catch (error) {
        this.log.error("could not hold the call", { error: (error as Error).message });
        throw new GatewayError(
          "DATABASE_UNAVAILABLE",
          `${verdict.hold.reason} Tollgate cannot reach its database to hold it for approval, so it was not forwarded. Try again shortly.`,
        );
      }
      const refusal = this.holdRefusal(outcome, verdict, call);
      if (refusal) {
        if (outcome.ended?.kind === "stream-closed") {
          // Nobody is listening; the answer only releases the transport's bookkeeping for the request.
          const body = jsonRpcError(requestId, refusal.error.code, refusal.error.message, { reason: refusal.error.kind });
          await this.client.send(body as JSONRPCMessage, { relatedRequestId: requestId }).catch(() => undefined);
          this.observe(started, call.method, "held");
          return;
        }
        await this.replyError(requestId, refusal.error, started, call.method, { ...held, decision: refusal.decision });
        return;
      }
      const approval = outcome.call as HeldCallState;
      if (this.closed) throw new GatewayError("SESSION_NOT_FOUND", "This session has ended; start a new one.");
      authorize(this.grant, this.connection);
      const forSession = approval.scope === "SESSION";
      if (forSession) this.approvedForSession.add(call.key);
      try {
        await this.recorder.record("GATEWAY_TO_UPSTREAM", verdict.record, {
          decision: forSession ? "approved-for-session" : "approved",
          masked: verdict.annotations.masked ?? null,
        });
      } catch (error) {
        this.log.error("recording failed; refusing message", { error: (error as Error).message });
        throw new GatewayError(
          "RECORDING_UNAVAILABLE",
          "The call was approved, but the gateway cannot record it right now, so it was not forwarded. Start a new session and try again.",
        );
      }
      const timer = setTimeout(() => void this.timeOut(requestId), this.requestTimeoutMs).unref();
      this.inflight.set(requestId, { timer, started, forwarded: performance.now(), method: call.method, outcome: "held" });
      if (progressToken !== undefined) this.progressTokens.set(progressToken, requestId);
      try {
        await this.upstream.send(verdict.forward);
      } catch (error) {
        this.finish(requestId);
        this.log.warn("upstream send failed", { error: (error as Error).message });
        throw new GatewayError(
          "UPSTREAM_UNAVAILABLE",
          `The upstream MCP server "${this.connection.slug}" did not accept the approved call.`,
        );
      }
      this.log.info("held call approved and forwarded", { heldCall: approval.id, scope: forSession ? "session" : "call" });
    } catch (error) {
      const gatewayError = error instanceof GatewayError ? error : new GatewayError("INTERNAL", "Internal gateway error.");
      await this.replyError(requestId, gatewayError, started, call.method, held);
      if (gatewayError.kind === "GRANT_EXPIRED" || gatewayError.kind === "GRANT_REVOKED") {
        void this.close(gatewayError.kind === "GRANT_EXPIRED" ? "grant expired" : "grant revoked");
      }
      if (this.recorder.failed) void this.close("recording failed");
    } finally {
      this.held.delete(requestId);
      answered();
    }
  }

  /** Why a held call is not forwarded (with the decision to record), or null when its approval holds. */
  private holdRefusal(outcome: HoldOutcome, verdict: Held, call: HeldCallIdentity): { error: GatewayError; decision: string } | null {
    const { call: row, ended } = outcome;
    const ref = row ? ` (held call ${row.id})` : "";
    const slug = this.connection.slug;
    if (ended?.kind === "session-ended") {
      if (ended.reason === "grant revoked" || ended.reason === "grant expired") {
        const revoked = ended.reason === "grant revoked";
        return {
          decision: "cancelled",
          error: new GatewayError(
            revoked ? "GRANT_REVOKED" : "GRANT_EXPIRED",
            `Your access grant for "${slug}" ${revoked ? "was revoked" : "expired"} while the call waited for approval${ref}, so it was not forwarded. Request access again in the Tollgate portal.`,
          ),
        };
      }
      return {
        decision: ended.abandon ? "abandoned" : "cancelled",
        error: new GatewayError(
          "HOLD_ENDED",
          `The session ended (${ended.reason}) while the call waited for approval${ref}; it was not forwarded.`,
        ),
      };
    }
    if (ended) {
      return {
        decision: "cancelled",
        error: new GatewayError(
          "HOLD_ENDED",
          `The call was cancelled by the client while it waited for approval${ref}; it was not forwarded.`,
        ),
      };
    }
    if (!row || outcome.timedOut || row.status === "EXPIRED") {
      return {
        decision: "expired",
        error: new GatewayError(
          "APPROVAL_TIMEOUT",
          `${verdict.hold.reason} No approver decided within ${holdDuration(outcome.holdMs)}${ref}, so the call was not forwarded. Ask an approver to watch for it, then call again.`,
        ),
      };
    }
    if (row.status === "DENIED") {
      const who = row.decidedBy?.email ?? "An approver";
      return {
        decision: "denied",
        error: new GatewayError(
          "APPROVAL_DENIED",
          `${who} denied this call${row.comment ? `: "${row.comment}"` : " (no comment)"}${ref}. It was not forwarded.`,
        ),
      };
    }
    if (row.status !== "APPROVED") {
      return {
        decision: row.status.toLowerCase(),
        error: new GatewayError(
          "HOLD_ENDED",
          `The held call was ${row.status.toLowerCase()}${row.endReason ? ` (${row.endReason})` : ""}${ref}; it was not forwarded.`,
        ),
      };
    }
    // The approval is for this caller, session, connection and exactly these arguments, or for nothing.
    const bound =
      row.sessionId === this.id &&
      row.userId === this.userId &&
      row.connectionId === this.connection.id &&
      row.method === call.method &&
      row.tool === call.tool &&
      row.argumentsHash === call.hash &&
      argumentsHash((verdict.forward as { params?: unknown }).params) === call.hash;
    if (!bound) {
      this.log.error("approval does not match the held call; not forwarding", { heldCall: row.id });
      return {
        decision: "binding-mismatch",
        error: new GatewayError(
          "HOLD_ENDED",
          `The approval${ref} does not match this call (caller, session, connection, tool or arguments differ), so it was not forwarded.`,
        ),
      };
    }
    return null;
  }

  /** Keeps a held request's client informed (and its client-side timeout reset, if it resets on progress). */
  private holdProgress(
    requestId: RequestId,
    progressToken: string | number,
    progress: { heldCallId: string; elapsedMs: number; holdMs: number },
  ): void {
    const left = Math.max(0, Math.ceil((progress.holdMs - progress.elapsedMs) / 1000));
    const notification: JSONRPCMessage = {
      jsonrpc: "2.0",
      method: "notifications/progress",
      params: {
        progressToken,
        progress: Math.round(progress.elapsedMs / 100) / 10,
        message: `Waiting for an approver to decide (held call ${progress.heldCallId}, at most ${left} s more)`,
      },
    };
    void this.client.send(notification, { relatedRequestId: requestId }).catch(() => undefined);
  }

  /** A client `notifications/cancelled` for a held request ends the hold (row CANCELLED). */
  private cancelsHeld(message: JSONRPCMessage): boolean {
    if (!("method" in message) || message.method !== "notifications/cancelled" || "id" in message) return false;
    const target = (message.params as { requestId?: RequestId } | undefined)?.requestId;
    const entry = target !== undefined ? this.held.get(target) : undefined;
    if (!entry) return false;
    entry.abort.abort({ kind: "client-cancelled" });
    return true;
  }

  /**
   * The listener calls this with each POST body and its response, for when the client closes the
   * response before it ended:
   * - a request still held ends its hold (the client is gone), unless `resumable` says the stream
   *   can be resumed (2025-11-25+: a disconnect is not a cancellation): then the hold goes on, and
   *   its answer waits in the stream's replay buffer for a GET + Last-Event-ID (the hold deadline,
   *   the session's end or a `notifications/cancelled` still end it);
   * - a long-lived request (`subscriptions/listen`, which has no timeout) is over: closing a
   *   2026-07-28 stream cancels its request, and the upstream is told so.
   */
  watchRequestStream(
    body: unknown,
    response: { once(event: "close", listener: () => void): unknown },
    resumable?: (id: RequestId) => boolean,
  ): void {
    const ids = requestIdsIn(body);
    if (ids.length === 0) return;
    response.once("close", () => {
      for (const id of ids) {
        const held = this.held.get(id);
        if (held) {
          if (resumable?.(id)) this.log.info("client lost a held call's stream; the call stays held for it to resume", { rpcId: id });
          else held.abort.abort({ kind: "stream-closed" });
          continue;
        }
        const pending = this.inflight.get(id);
        if (pending && !this.closed && LONG_LIVED_METHODS.has(pending.method)) {
          this.finish(id);
          this.observe(pending.started, pending.method, "ok");
          void this.cancelUpstream(id, "the client closed the stream");
        }
      }
    });
  }

  /** The session is ending: every held call ends too (ABANDONED when the gateway is shutting down). */
  private async endHolds(reason: string): Promise<void> {
    if (this.held.size === 0) return;
    const end = { kind: "session-ended" as const, reason, abandon: reason === "gateway shutting down" };
    const answered = [...this.held.values()].map((entry) => {
      entry.abort.abort(end);
      return entry.done;
    });
    await Promise.race([Promise.all(answered), new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
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
    clearInterval(this.headTimer);
    for (const pending of this.inflight.values()) clearTimeout(pending.timer);
    // Held calls get their answer (and their rows an end) while the client's streams are still open.
    await this.endHolds(reason);
    this.log.info("session closed", { reason });
    this.onClosed?.(this);
    // HTTP upstreams keep per-session state: end it there too (DELETE), not only our side.
    const upstream = this.upstream as Transport & { terminateSession?: () => Promise<void> };
    const terminated = upstream.terminateSession
      ? Promise.race([upstream.terminateSession().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())])
      : Promise.resolve();
    await Promise.allSettled([this.client.close(), terminated.then(() => this.upstream.close())]);
    await this.recorder.flush().catch(() => undefined);
    await endSession(this.db, { sessionId: this.id, reason, head: this.recorder.head }).catch((error: Error) =>
      this.log.error("could not record session end", { error: error.message }),
    );
  }
}
