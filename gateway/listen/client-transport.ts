import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONRPCMessage, RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { ClientSide } from "../session.ts";

// Streamable HTTP towards one client session, built for the hot path (no Web Request conversion,
// no schema validation of bodies the listener already checked, no ReadableStream):
// - a POST of notifications/responses only: 202, no body;
// - a POST with requests: answered `application/json` when the answer comes before anything
//   related to it (the usual case: the upstream answered with JSON), else as an SSE stream that
//   carries related notifications and server → client requests before the final response. A
//   request still unanswered after `decideMs` (a slow tool, a held call) switches to SSE too, and
//   an SSE stream gets keep-alive comments;
// - GET: the server → client SSE stream (one per session; 409 for a second), resumable: every event
//   has an id, the stream starts with a priming event and a `retry`, and `Last-Event-ID` replays
//   only that GET stream's own later events;
// - DELETE ends the session.
// Sessionless (2026-07-28): no Mcp-Session-Id, no GET or DELETE (405); notifications unrelated to a
// request go to the open `subscriptions/listen` stream, if any.

export const SUPPORTED_PROTOCOL_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"] as const;

const KEEP_ALIVE_MS = 15_000;
const DECIDE_MS = 200;
/** Events kept for a GET stream's resumption. */
const REPLAY_EVENTS = 100;
const RETRY_MS = 1000;

interface PostStream {
  res: ServerResponse;
  /** Requests of this POST still waiting for their response. */
  waiting: Set<RequestId>;
  /** JSON mode collects the answers of a batch until all are in. */
  answers: JSONRPCMessage[];
  batch: boolean;
  mode: "undecided" | "json" | "sse";
  timer: NodeJS.Timeout | undefined;
}

function accepts(req: IncomingMessage, type: string): boolean {
  const accept = req.headers.accept ?? "";
  return accept.includes(type) || accept.includes("*/*");
}

function jsonRpcError(status: number, code: number, message: string) {
  return { status, body: JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }) };
}

function sendError(res: ServerResponse, status: number, code: number, message: string, headers: Record<string, string> = {}): void {
  const error = jsonRpcError(status, code, message);
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
  /** The GET stream's recent events, for Last-Event-ID (never another stream's). */
  private readonly replay: Array<{ id: number; text: string }> = [];
  private nextEventId = 1;
  private closed = false;
  private initialized = false;

  constructor(
    readonly sessionId: string,
    private readonly options: {
      onsessionclosed?: () => void;
      decideMs?: number;
      keepAliveMs?: number;
      sessionless?: boolean;
      /** The HTTP status the upstream gave a request's error answer (2026-07-28 uses 4xx), passed on to the client. */
      statusOf?: (id: RequestId) => number | undefined;
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
      sendError(res, 404, -32001, "Session not found");
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

  private versionOk(req: IncomingMessage, res: ServerResponse): boolean {
    const version = req.headers["mcp-protocol-version"];
    // Sessionless (2026-07-28+): the upstream judges the version and answers with its own error data.
    if (this.options.sessionless) return true;
    if (version === undefined || (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(String(version))) return true;
    sendError(
      res,
      400,
      -32000,
      `Bad Request: Unsupported protocol version (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")})`,
    );
    return false;
  }

  private post(req: IncomingMessage, res: ServerResponse, body: unknown): void {
    if (!accepts(req, "application/json") || !accepts(req, "text/event-stream")) {
      sendError(res, 406, -32000, "Not Acceptable: Client must accept both application/json and text/event-stream");
      return;
    }
    const contentType = req.headers["content-type"] ?? "";
    if (!contentType.includes("application/json")) {
      sendError(res, 415, -32000, "Unsupported Media Type: Content-Type must be application/json");
      return;
    }
    const messages = (Array.isArray(body) ? body : [body]) as JSONRPCMessage[];
    const initialize = messages.some((message) => "method" in message && message.method === "initialize");
    if (initialize && !this.options.sessionless) {
      if (this.initialized) {
        sendError(res, 400, -32600, "Invalid Request: Server already initialized");
        return;
      }
      if (messages.length > 1) {
        sendError(res, 400, -32600, "Invalid Request: Only one initialization request is allowed");
        return;
      }
      this.initialized = true;
    } else if (!this.versionOk(req, res)) return;

    const requests = messages.filter(isRequest);
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
    };
    if (initialize && !this.options.sessionless) res.setHeader("mcp-session-id", this.sessionId);
    for (const id of stream.waiting) this.byRequest.set(id, stream);
    if (this.options.sessionless && requests.some((request) => request.method === "subscriptions/listen")) this.listens.add(stream);
    // Unanswered for a while (a slow tool, a held call): SSE, so the client sees the stream and keep-alives.
    stream.timer = setTimeout(() => this.toSse(stream), this.options.decideMs ?? DECIDE_MS);
    stream.timer.unref();
    res.once("close", () => this.release(stream));
    for (const message of messages) this.onmessage?.(message);
  }

  private release(stream: PostStream): void {
    this.listens.delete(stream);
    clearTimeout(stream.timer);
    clearInterval(stream.timer);
    for (const id of stream.waiting) if (this.byRequest.get(id) === stream) this.byRequest.delete(id);
    stream.waiting.clear();
  }

  private toSse(stream: PostStream): void {
    if (stream.mode !== "undecided" || stream.res.writableEnded) return;
    clearTimeout(stream.timer);
    stream.mode = "sse";
    stream.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...this.sessionHeaders(),
    });
    stream.res.flushHeaders();
    for (const answer of stream.answers) stream.res.write(`event: message\ndata: ${JSON.stringify(answer)}\n\n`);
    stream.answers = [];
    stream.timer = setInterval(() => stream.res.write(": keep-alive\n\n"), this.options.keepAliveMs ?? KEEP_ALIVE_MS);
    stream.timer.unref();
  }

  private get(req: IncomingMessage, res: ServerResponse): void {
    if (!accepts(req, "text/event-stream")) {
      sendError(res, 406, -32000, "Not Acceptable: Client must accept text/event-stream");
      return;
    }
    if (!this.versionOk(req, res)) return;
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
    const lastEventId = req.headers["last-event-id"];
    const after = typeof lastEventId === "string" && /^\d+$/.test(lastEventId) ? Number(lastEventId) : undefined;
    if (after !== undefined) {
      // Only this session's GET stream's own events, and only the ones after the client's last.
      for (const event of this.replay) if (event.id > after) res.write(event.text);
    } else if (String(req.headers["mcp-protocol-version"] ?? "") >= "2025-11-25") {
      // A priming event with an id and a retry (2025-11-25+): the client can resume from here after a drop.
      res.write(`id: ${this.nextEventId++}\nretry: ${RETRY_MS}\ndata: \n\n`);
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

  async send(message: JSONRPCMessage, options?: { relatedRequestId?: RequestId }): Promise<void> {
    const key = isResponse(message) ? message.id : options?.relatedRequestId;
    const stream = key !== undefined ? this.byRequest.get(key) : undefined;
    if (!stream && !isResponse(message) && this.listens.size > 0) {
      // Sessionless: notifications for the client go to its subscriptions/listen stream.
      const listen = [...this.listens][this.listens.size - 1]!;
      this.toSse(listen);
      if (!listen.res.writableEnded) listen.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
      return;
    }
    if (!stream) {
      // Unrelated to an open POST: the GET stream, when there is one (responses never go there).
      if (isResponse(message) || !this.getStream) return;
      const id = this.nextEventId++;
      const text = `id: ${id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`;
      this.replay.push({ id, text });
      if (this.replay.length > REPLAY_EVENTS) this.replay.shift();
      this.getStream.write(text);
      return;
    }
    if (isResponse(message)) {
      stream.waiting.delete(message.id);
      this.byRequest.delete(message.id);
    }
    if (stream.mode === "undecided") {
      if (!isResponse(message)) {
        this.toSse(stream);
      } else {
        stream.answers.push(message);
        if (stream.waiting.size > 0) return;
        clearTimeout(stream.timer);
        stream.mode = "json";
        const text = JSON.stringify(stream.batch ? stream.answers : stream.answers[0]);
        const status = !stream.batch && "error" in message ? (this.options.statusOf?.(message.id) ?? 200) : 200;
        stream.res.writeHead(status, { "content-type": "application/json", ...this.sessionHeaders() }).end(text);
        return;
      }
    }
    if (stream.res.writableEnded) return;
    stream.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    if (stream.waiting.size === 0) {
      this.release(stream);
      stream.res.end();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const streams = new Set(this.byRequest.values());
    for (const stream of streams) {
      this.release(stream);
      if (!stream.res.headersSent) stream.res.writeHead(404, { "content-type": "application/json" });
      stream.res.end();
    }
    this.byRequest.clear();
    clearInterval(this.getKeepAlive);
    this.getStream?.end();
    this.getStream = undefined;
    this.onclose?.();
  }
}
