import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { UpstreamConnection } from "../../lib/connections/load-connection.ts";
import { GatewayError } from "../errors.ts";
import type { SessionSlot } from "../limits.ts";
import type { ClientStream } from "../registry.ts";
import type { ClientSide } from "../session.ts";
import { type Caller, type ListenedSession, openListenedSession, type TransportListenerDeps } from "./open-session.ts";

/** The client side of a legacy SSE session: the open event stream. */
export class SseClientSide implements ClientSide {
  private keepAlive: NodeJS.Timeout | undefined;
  private opened = false;
  private ended = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly keepAliveMs: number,
  ) {
    res.once("close", () => {
      this.ended = true;
      clearInterval(this.keepAlive);
    });
  }

  /** Sends the headers and the `endpoint` event; keep-alive comments follow every `keepAliveMs`. */
  open(endpoint: string): void {
    this.opened = true;
    this.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      // Proxies (nginx) must not buffer the stream.
      "x-accel-buffering": "no",
    });
    this.res.write(`event: endpoint\ndata: ${endpoint}\n\n`);
    this.keepAlive = setInterval(() => {
      if (!this.ended) this.res.write(": keep-alive\n\n");
    }, this.keepAliveMs);
    this.keepAlive.unref();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (!this.opened || this.ended) throw new Error("The client's SSE stream is closed");
    // JSON.stringify escapes every line break, so the message is one `data:` line.
    if (this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`)) return;
    // A slow reader: wait until the stream drains (or closes) before the next message.
    await new Promise<void>((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.once("drain", done);
      this.res.once("close", done);
    });
  }

  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    if (this.opened && !this.ended) this.res.end();
  }
}

export interface SseStreamOptions {
  /** The caller that opened the stream (their token is the session's, should it open). */
  caller: Caller;
  connection: UpstreamConnection;
  slug: string;
  bearer: string | null;
  /** Taken on GET: an open stream counts against the caps whether or not it ever sends a message. */
  slot: SessionSlot;
  res: ServerResponse;
}

/**
 * One legacy SSE event stream (GET /sse/<slug>) and the session its first message opens.
 *
 * Clients such as mcp-remote probe the endpoint with a GET they close at once, and some open the
 * stream and never post. So the GET only authenticates, authorizes and takes a session slot; the
 * Session row is recorded and the upstream opened (a stdio child spawned) on the first message,
 * before that message is recorded and forwarded. A stream that ends before its first message —
 * the client hung up, GATEWAY_SESSION_IDLE_MS passed, the grant or token ended, the gateway
 * stopped — leaves an info log line instead of an empty session.
 */
export class SseStream implements ClientStream {
  /** The message endpoint's `sessionId`: names this stream, not (yet) a recorded session. */
  readonly id = randomUUID();
  readonly client: SseClientSide;
  private state: "waiting" | "opening" | "open" | "ended" = "waiting";
  /** Why the stream ended while its session was opening: that session is closed for it. */
  private endReason: string | undefined;
  private opening: Promise<ListenedSession> | undefined;
  /** The open session's request for the stream itself. */
  private request: { done(clientGone?: boolean): void } | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly openedAt = performance.now();

  constructor(
    private readonly deps: TransportListenerDeps,
    private readonly options: SseStreamOptions,
  ) {
    this.client = new SseClientSide(options.res, deps.keepAliveMs);
  }

  get grantId(): string {
    return this.options.caller.grant.id;
  }

  get tokenId(): string | null {
    return this.options.caller.tokenId;
  }

  get slug(): string {
    return this.options.slug;
  }

  get connection(): UpstreamConnection {
    return this.options.connection;
  }

  /** No more messages are taken on this stream (the client hung up, or it was closed). */
  get isEnded(): boolean {
    return this.state === "ended";
  }

  /** Sends the `endpoint` event; until the first message, the idle time, the grant and the token bound the stream. */
  start(endpointPrefix: string): void {
    const { res, caller } = this.options;
    this.deps.registry.addStream(this);
    // Gone while it was being authorized: its "close" has been and gone.
    if (res.destroyed) {
      void this.close("client went away");
      return;
    }
    res.once("close", () => void this.close("client went away"));
    this.client.open(`${endpointPrefix}?sessionId=${encodeURIComponent(this.id)}`);
    this.waitTimer = setTimeout(() => void this.close("idle timeout"), this.deps.sessionIdleMs).unref();
    // Authenticated once, like the session it would open: it ends with its grant, or before that with its OAuth access token.
    const grantEnds = caller.grant.expiresAt.getTime();
    const tokenEnds = caller.tokenExpiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const reason = tokenEnds < grantEnds ? "access token expired" : "grant expired";
    this.expiryTimer = setTimeout(() => void this.close(reason), Math.max(0, Math.min(grantEnds, tokenEnds) - Date.now())).unref();
  }

  /**
   * The stream's session, opened by the first message (`caller` sent it, under the same grant):
   * later messages wait for the same opening. Throws the opening's refusal (the stream then ends).
   */
  sessionFor(caller: Caller): Promise<ListenedSession> {
    if (this.state === "waiting") {
      this.state = "opening";
      this.opening = this.openSession(caller);
    }
    if (!this.opening || this.state === "ended") return Promise.reject(streamEnded(this.options.slug));
    return this.opening;
  }

  private async openSession(caller: Caller): Promise<ListenedSession> {
    // From here the session's own idle and expiry rules apply.
    clearTimeout(this.waitTimer);
    clearTimeout(this.expiryTimer);
    const { connection, slug, bearer, slot } = this.options;
    let session: ListenedSession;
    try {
      session = await openListenedSession(this.deps, {
        caller: { ...this.options.caller, grant: caller.grant },
        connection,
        slug,
        transport: "sse",
        client: this.client,
        bearer,
        slot,
      });
    } catch (error) {
      // Without its session the stream is of no use: it ends (the slot is already back), the POST says why.
      this.forget();
      await this.client.close();
      throw error;
    }
    if (this.state === "ended") {
      await session.close(this.endReason ?? "client went away");
      throw streamEnded(slug);
    }
    this.state = "open";
    // The stream counts as an open request while it is open: the session does not idle out under it.
    this.request = session.beginRequest();
    return session;
  }

  /** Ends the stream: before its first message, without a session; after it, by ending the session. */
  async close(reason: string): Promise<void> {
    const was = this.state;
    if (was === "ended") return;
    this.forget();
    if (was === "opening") {
      this.endReason = reason;
      return;
    }
    if (was === "open") {
      this.request?.done(true);
      const session = await this.opening;
      await session?.close(reason);
      return;
    }
    this.options.slot.release();
    const { caller } = this.options;
    this.deps.log.info("legacy SSE stream ended before its first message; no session was recorded", {
      stream: this.id,
      connection: this.options.slug,
      user: caller.user.email,
      grant: caller.grant.id,
      gatewayTokenId: caller.tokenId,
      transport: "sse",
      reason,
      openMs: Math.round(performance.now() - this.openedAt),
    });
    await this.client.close();
  }

  private forget(): void {
    this.state = "ended";
    clearTimeout(this.waitTimer);
    clearTimeout(this.expiryTimer);
    this.deps.registry.removeStream(this);
  }
}

function streamEnded(slug: string): GatewayError {
  return new GatewayError("SESSION_NOT_FOUND", `Session not found or ended; open a new event stream with GET /sse/${slug}.`);
}
