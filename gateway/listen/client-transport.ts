import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import { learnParamHeaders, type ParamHeaders } from "../pipeline/check-mcp-headers.ts";
import type { ClientSide } from "../session.ts";
import { requestIdOf } from "./body.ts";

// Streamable HTTP towards one client session, built for the hot path (no Web Request conversion,
// no schema validation of bodies the listener already checked, no ReadableStream):
// - a POST of notifications/responses only: 202, no body;
// - a POST with requests: answered `application/json` when the answer comes before anything
//   related to it and the upstream answered with JSON too, else as an SSE stream that
//   carries related notifications and server → client requests before the final response. A
//   request still unanswered after `decideMs` (a slow tool, a held call) switches to SSE too, and
//   an SSE stream gets keep-alive comments;
// - GET: the server → client SSE stream (one per session; 409 for a second);
// - DELETE ends the session.
// Every SSE stream is resumable (2025-11-25): each event has an id `<stream>-<seq>` (stream 0 is the
// GET stream, 1, 2, … the POST streams), a 2025-11-25+ client gets a priming event (an id, empty data)
// and a `retry` first, and each stream keeps its recent events (bounded). A POST stream the client
// loses while its requests are unanswered is kept: their answers wait in its buffer until the client
// comes back with GET + `Last-Event-ID`, which replays that stream's later events only (never another
// stream's), then carries the rest of it live and ends it once its requests are answered.
// Sessionless (2026-07-28): no Mcp-Session-Id, no GET or DELETE (405), no resumability (a closed
// stream loses its requests); notifications unrelated to a request go to the open
// `subscriptions/listen` stream, if any.

export const SUPPORTED_PROTOCOL_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"] as const;

const KEEP_ALIVE_MS = 15_000;
const DECIDE_MS = 200;
/** Events each stream keeps for resumption (responses are dropped last), and their total size. */
const REPLAY_EVENTS = 100;
const REPLAY_BYTES = 8 * 1024 * 1024;
/** Finished POST streams kept for a client that lost the last events (its final answer) before they arrived. */
const FINISHED_STREAMS = 4;
const RETRY_MS = 1000;

/** One SSE stream's recent events, for `Last-Event-ID` (ids `<stream>-<seq>`). */
export class ReplayLog {
  private readonly events: Array<{ seq: number; text: string; response: boolean }> = [];
  private bytes = 0;
  private nextSeq = 0;

  constructor(
    readonly stream: number,
    private readonly limits: { events: number; bytes: number } = { events: REPLAY_EVENTS, bytes: REPLAY_BYTES },
  ) {}

  /** An event with the next id, kept for replay; `retry` makes it a priming event (empty data). */
  add(message: JSONRPCMessage | null, retryMs?: number): string {
    const seq = this.nextSeq++;
    const text =
      message === null
        ? `id: ${this.stream}-${seq}\n${retryMs !== undefined ? `retry: ${retryMs}\n` : ""}data: \n\n`
        : `id: ${this.stream}-${seq}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`;
    if (message === null) return text;
    this.events.push({ seq, text, response: isResponse(message) });
    this.bytes += text.length;
    // Over a bound: notifications go first, oldest first; a response only when nothing else is left.
    while (this.events.length > 1 && (this.events.length > this.limits.events || this.bytes > this.limits.bytes)) {
      const index = Math.max(
        0,
        this.events.findIndex((event) => !event.response),
      );
      this.bytes -= this.events[index]!.text.length;
      this.events.splice(index, 1);
    }
    return text;
  }

  /** The kept events after `seq`, in order. */
  after(seq: number): string[] {
    return this.events.filter((event) => event.seq > seq).map((event) => event.text);
  }
}

/** A `Last-Event-ID` this transport wrote: `<stream>-<seq>`. */
function parseEventId(value: string | string[] | undefined): { stream: number; seq: number } | undefined {
  const match = typeof value === "string" ? /^(\d{1,9})-(\d{1,15})$/.exec(value.trim()) : null;
  return match ? { stream: Number(match[1]), seq: Number(match[2]) } : undefined;
}

interface PostStream {
  /** The client's response; undefined while the client has lost the stream and not resumed it yet. */
  res: ServerResponse | undefined;
  /** Requests of this POST still waiting for their response. */
  waiting: Set<RequestId>;
  /** JSON mode collects the answers of a batch until all are in. */
  answers: JSONRPCMessage[];
  batch: boolean;
  mode: "undecided" | "json" | "sse";
  timer: NodeJS.Timeout | undefined;
  /** SSE mode, sessionful: the stream's events for resumption (sessionless streams are not resumable). */
  log: ReplayLog | undefined;
  /** The client speaks 2025-11-25 or later: its SSE stream starts with a priming event. */
  priming: boolean;
}

function accepts(req: IncomingMessage, type: string): boolean {
  const accept = req.headers.accept ?? "";
  return accept.includes(type) || accept.includes("*/*");
}

/** 2025-11-25 and later clients get priming events (older SDK clients would try to parse the empty data). */
function primes(version: unknown): boolean {
  return typeof version === "string" && version >= "2025-11-25";
}

/** The version an initialize request asks for (its POST carries no MCP-Protocol-Version header). */
function initializeVersion(messages: JSONRPCMessage[]): unknown {
  const initialize = messages.find((message) => "method" in message && message.method === "initialize");
  return (initialize as { params?: { protocolVersion?: unknown } } | undefined)?.params?.protocolVersion;
}

function jsonRpcError(status: number, code: number, message: string, id: RequestId | null) {
  return { status, body: JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id }) };
}

/** An error answer; `id` names the request refused (POST bodies are parsed before this transport sees them). */
function sendError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  id: RequestId | null = null,
): void {
  const error = jsonRpcError(status, code, message, id);
  res.writeHead(error.status, { "content-type": "application/json", ...headers }).end(error.body);
}

function isRequest(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId; method: string } {
  return "method" in message && "id" in message;
}

function isResponse(message: JSONRPCMessage): message is JSONRPCMessage & { id: RequestId } {
  return !("method" in message) && "id" in message;
}

export class ClientHttpTransport implements ClientSide {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;

  private readonly byRequest = new Map<RequestId, PostStream>();
  /** Sessionless: the open `subscriptions/listen` streams (list-changed and resource notifications). */
  private readonly listens = new Set<PostStream>();
  private getStream: ServerResponse | undefined;
  private getKeepAlive: NodeJS.Timeout | undefined;
  /** The GET stream's recent events (stream 0). */
  private readonly getLog = new ReplayLog(0);
  /** POST streams in SSE mode by stream number: open, lost by the client, or recently finished (resumable). */
  private readonly streams = new Map<number, PostStream>();
  private readonly finished: number[] = [];
  private nextStream = 1;
  private closed = false;
  private initialized = false;
  /** Which arguments each tool mirrors into `Mcp-Param-*` headers, as the tools/list answers sent to this client said. */
  readonly paramHeaders: ParamHeaders = new Map();
  /** Ids of the client's tools/list requests not answered yet. */
  private readonly toolLists = new Set<RequestId>();

  constructor(
    readonly sessionId: string,
    private readonly options: {
      onsessionclosed?: () => void;
      decideMs?: number;
      keepAliveMs?: number;
      /** How long a client that lost a stream waits before it resumes (the SSE `retry` field). */
      retryMs?: number;
      sessionless?: boolean;
      /** The HTTP status the upstream gave a request's error answer (2026-07-28 uses 4xx), passed on to the client. */
      statusOf?: (id: RequestId) => number | undefined;
      /** Whether the upstream answered a request with an SSE stream: its answer goes to the client as one too. */
      streamedOf?: (id: RequestId) => boolean;
    } = {},
  ) {}

  /** Headers naming the session (none when sessionless). */
  private sessionHeaders(): Record<string, string> {
    return this.options.sessionless ? {} : { "mcp-session-id": this.sessionId };
  }

  async start(): Promise<void> {}

  /** Handles one HTTP request of this session; `body` was read and checked by the listener. */
  async handleRequest(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    if (this.closed) {
      sendError(res, 404, -32001, "Session not found", {}, requestIdOf(body));
      return;
    }
    if (req.method === "POST") return this.post(req, res, body);
    if (this.options.sessionless) {
      sendError(res, 405, -32000, "Method not allowed: 2026-07-28 has no GET stream and no session to delete.", { allow: "POST" });
      return;
    }
    if (req.method === "GET") return this.get(req, res);
    if (req.method === "DELETE") {
      res.writeHead(200).end();
      this.options.onsessionclosed?.();
      return;
    }
    sendError(res, 405, -32000, "Method not allowed.", { allow: "GET, POST, DELETE" });
  }

  private versionOk(req: IncomingMessage, res: ServerResponse, id: RequestId | null = null): boolean {
    const version = req.headers["mcp-protocol-version"];
    // Sessionless (2026-07-28+): the upstream judges the version and answers with its own error data.
    if (this.options.sessionless) return true;
    if (version === undefined || (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(String(version))) return true;
    sendError(
      res,
      400,
      -32000,
      `Bad Request: Unsupported protocol version (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
      {},
      id,
    );
    return false;
  }

  private post(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    const rpcId = requestIdOf(body);
    if (!accepts(req, "application/json") || !accepts(req, "text/event-stream")) {
      sendError(res, 406, -32000, "Not Acceptable: Client must accept both application/json and text/event-stream", {}, rpcId);
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    if (!contentType.includes("application/json")) {
      sendError(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json", {}, rpcId);
      return;
    }
    const messages = (Array.isArray(body) ? body : [body]) as JSONRPCMessage[];
    const initialize = messages.some((message) => "method" in message && message.method === "initialize");
    if (initialize && !this.options.sessionless) {
      if (this.initialized) {
        sendError(res, 400, -32600, "Invalid Request: Server already initialized", {}, rpcId);
        return;
      }
      if (messages.length > 1) {
        sendError(res, 400, -32600, "Invalid Request: Only one initialization request is allowed");
        return;
      }
      this.initialized = true;
    } else if (!this.versionOk(req, res, rpcId)) return;

    const requests = messages.filter(isRequest);
    for (const request of requests) if (request.method === "tools/list" && this.toolLists.size < 64) this.toolLists.add(request.id);
    if (requests.length === 0) {
      res.writeHead(202).end();
      for (const message of messages) this.onmessage?.(message);
      return;
    }
    const stream: PostStream = {
      res,
      waiting: new Set(requests.map((request) => request.id)),
      answers: [],
      batch: Array.isArray(body),
      mode: "undecided",
      timer: undefined,
      log: undefined,
      priming: !this.options.sessionless && primes(req.headers["mcp-protocol-version"] ?? initializeVersion(messages)),
    };
    if (initialize && !this.options.sessionless) res.setHeader("mcp-session-id", this.sessionId);
    for (const id of stream.waiting) this.byRequest.set(id, stream);
    if (this.options.sessionless && requests.some((request) => request.method === "subscriptions/listen")) this.listens.add(stream);
    // Unanswered for a while (a slow tool, a held call): SSE, so the client sees the stream and keep-alives.
    stream.timer = setTimeout(() => this.toSse(stream), this.options.decideMs ?? DECIDE_MS);
    stream.timer.unref();
    res.once("close", () => this.lost(stream, res));
    for (const message of messages) this.onmessage?.(message);
  }

  /**
   * The client's response closed. A resumable SSE stream with requests still unanswered is kept
   * (their answers wait in its log for a GET + Last-Event-ID); anything else is released.
   */
  private lost(stream: PostStream, res: ServerResponse): void {
    if (stream.res !== res) return;
    stream.res = undefined;
    clearTimeout(stream.timer);
    clearInterval(stream.timer);
    if (stream.log && stream.waiting.size > 0 && !this.closed) return;
    this.release(stream);
  }

  private release(stream: PostStream): void {
    this.listens.delete(stream);
    clearTimeout(stream.timer);
    clearInterval(stream.timer);
    for (const id of stream.waiting) if (this.byRequest.get(id) === stream) this.byRequest.delete(id);
    stream.waiting.clear();
    if (stream.log) this.retire(stream);
  }

  /** A finished stream stays resumable for a while (its last events may not have reached the client). */
  private retire(stream: PostStream): void {
    const number = stream.log!.stream;
    if (this.finished.includes(number)) return;
    this.finished.push(number);
    while (this.finished.length > FINISHED_STREAMS) this.streams.delete(this.finished.shift()!);
  }

  private toSse(stream: PostStream): void {
    const res = stream.res;
    if (stream.mode !== "undecided" || !res || res.writableEnded) return;
    clearTimeout(stream.timer);
    stream.mode = "sse";
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...this.sessionHeaders(),
    });
    if (!this.options.sessionless) {
      stream.log = new ReplayLog(this.nextStream++);
      this.streams.set(stream.log.stream, stream);
      // A priming event with an id and a retry (2025-11-25+): a client that loses the stream can resume from here.
      if (stream.priming) res.write(stream.log.add(null, this.options.retryMs ?? RETRY_MS));
    }
    res.flushHeaders();
    for (const answer of stream.answers) res.write(this.eventOf(stream, answer));
    stream.answers = [];
    this.keepAlive(stream, res);
  }

  private keepAlive(stream: PostStream, res: ServerResponse): void {
    stream.timer = setInterval(() => res.write(": keep-alive\n\n"), this.options.keepAliveMs ?? KEEP_ALIVE_MS);
    stream.timer.unref();
  }

  /** An SSE event of a POST stream: with an id, and kept for resumption, when the stream is resumable. */
  private eventOf(stream: PostStream, message: JSONRPCMessage): string {
    return stream.log ? stream.log.add(message) : `event: message\ndata: ${JSON.stringify(message)}\n\n`;
  }

  private get(req: IncomingMessage, res: ServerResponse): void {
    if (!accepts(req, "text/event-stream")) {
      sendError(res, 406, -32000, "Not Acceptable: Client must accept text/event-stream");
      return;
    }
    if (!this.versionOk(req, res)) return;
    const lastEventId = req.headers["last-event-id"];
    const resumeFrom = parseEventId(lastEventId);
    if (lastEventId !== undefined && resumeFrom === undefined) {
      sendError(res, 400, -32000, "Bad Request: Last-Event-ID is not an event id of this session");
      return;
    }
    if (resumeFrom && resumeFrom.stream > 0) {
      this.resume(resumeFrom.stream, resumeFrom.seq, res);
      return;
    }
    if (this.getStream && !this.getStream.writableEnded) {
      sendError(res, 409, -32000, "Conflict: Only one SSE stream is allowed per session");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "mcp-session-id": this.sessionId,
    });
    if (resumeFrom) {
      // Only the GET stream's own events, and only the ones after the client's last.
      for (const text of this.getLog.after(resumeFrom.seq)) res.write(text);
    } else if (primes(req.headers["mcp-protocol-version"])) {
      res.write(this.getLog.add(null, this.options.retryMs ?? RETRY_MS));
    }
    res.flushHeaders();
    this.getStream = res;
    clearInterval(this.getKeepAlive);
    this.getKeepAlive = setInterval(() => res.write(": keep-alive\n\n"), this.options.keepAliveMs ?? KEEP_ALIVE_MS);
    this.getKeepAlive.unref();
    res.once("close", () => {
      if (this.getStream === res) {
        this.getStream = undefined;
        clearInterval(this.getKeepAlive);
      }
    });
  }

  /**
   * GET + Last-Event-ID of a POST stream: its events after `seq`, then the rest of it live. The
   * response ends when the stream's requests are all answered (at once, if they already are).
   */
  private resume(number: number, seq: number, res: ServerResponse): void {
    const stream = this.streams.get(number);
    if (!stream?.log) {
      sendError(res, 404, -32000, "Not Found: that stream has ended and its events are no longer kept; send the request again");
      return;
    }
    // A client that resumes has given up on its previous response for this stream, if one is still open.
    const previous = stream.res;
    stream.res = undefined;
    clearInterval(stream.timer);
    previous?.end();
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...this.sessionHeaders(),
    });
    const missed = stream.log.after(seq);
    for (const text of missed) res.write(text);
    if (stream.waiting.size === 0) {
      res.end();
      return;
    }
    // Something to read at once, even when nothing was missed: proxies that buffer until the first byte pass the stream on.
    if (missed.length === 0) res.write(": resumed\n\n");
    res.flushHeaders();
    stream.res = res;
    this.keepAlive(stream, res);
    res.once("close", () => this.lost(stream, res));
  }

  /**
   * The request's POST stream survives the client losing it: an SSE stream of a 2025-11-25+ client
   * (it was primed with an event id), whose answers wait in its replay buffer for a GET + Last-Event-ID.
   */
  resumable(id: RequestId): boolean {
    const stream = this.byRequest.get(id);
    return !this.closed && stream !== undefined && stream.log !== undefined && stream.priming && stream.waiting.has(id);
  }

  async send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void> {
    const key = isResponse(message) ? message.id : options?.relatedRequestId;
    const stream = key !== undefined ? this.byRequest.get(key) : undefined;
    if (!stream && !isResponse(message) && this.listens.size > 0) {
      // Sessionless: notifications for the client go to its subscriptions/listen stream.
      const listen = [...this.listens][this.listens.size - 1]!;
      this.toSse(listen);
      if (listen.res && !listen.res.writableEnded) listen.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return;
    }
    if (!stream) {
      // Unrelated to an open POST: the GET stream, when there is one (responses never go there).
      if (isResponse(message) || !this.getStream) return;
      this.getStream.write(this.getLog.add(message));
      return;
    }
    if (isResponse(message)) {
      stream.waiting.delete(message.id);
      this.byRequest.delete(message.id);
      if (this.toolLists.delete(message.id)) learnParamHeaders(this.paramHeaders, (message as { result?: unknown }).result);
    }
    const res = stream.res;
    if (stream.mode === "undecided" && res) {
      if (!isResponse(message) || this.options.streamedOf?.(message.id)) {
        // Headers, priming event, this message and (when it is the last answer) the end leave in one
        // write: each socket write is a system call and a wake-up of the client.
        res.cork();
        try {
          this.toSse(stream);
          this.writeEvent(stream, res, message);
        } finally {
          res.uncork();
        }
        return;
      } else {
        stream.answers.push(message);
        if (stream.waiting.size > 0) return;
        clearTimeout(stream.timer);
        stream.mode = "json";
        const text = JSON.stringify(stream.batch ? stream.answers : stream.answers[0]);
        const status = !stream.batch && "error" in message ? (this.options.statusOf?.(message.id) ?? 200) : 200;
        res.writeHead(status, { "content-type": "application/json", ...this.sessionHeaders() }).end(text);
        return;
      }
    }
    this.writeEvent(stream, res, message);
  }

  /** Writes a message to its POST stream, ending the stream after its last answer. */
  private writeEvent(stream: PostStream, res: ServerResponse | undefined, message: JSONRPCMessage): void {
    // Kept in the stream's log even while the client has lost the stream: it gets it when it resumes.
    const text = this.eventOf(stream, message);
    if (res && !res.writableEnded) res.write(text);
    if (stream.waiting.size === 0) {
      this.release(stream);
      if (res && !res.writableEnded) res.end();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const streams = new Set([...this.byRequest.values(), ...this.streams.values()]);
    for (const stream of streams) {
      this.release(stream);
      const res = stream.res;
      if (!res) continue;
      if (!res.headersSent) res.writeHead(404, { "content-type": "application/json" });
      res.end();
    }
    this.byRequest.clear();
    this.streams.clear();
    clearInterval(this.getKeepAlive);
    this.getStream?.end();
    this.getStream = undefined;
    this.onclose?.();
  }
}
