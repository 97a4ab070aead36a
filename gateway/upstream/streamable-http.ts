import http, { type ClientRequest, type IncomingMessage } from "node:http";
import https from "node:https";
import { StringDecoder } from "node:string_decoder";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport, TransportSendOptions } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { encodeMcpHeader, learnParamHeaders, type ParamHeaders, paramHeaderText } from "../pipeline/check-mcp-headers.ts";

// Streamable HTTP towards an upstream MCP server, built for the hot path: one keep-alive agent per
// process (connections reused across sessions), each response body read once and parsed as it
// arrives (JSON, or SSE where each event is handed on the moment it is complete). It keeps the
// SDK's `Transport` shape and its error class (`StreamableHTTPError`, which describe-failure knows),
// so the session cannot tell it from the SDK's client transport.

const agents = {
  http: new http.Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxFreeSockets: 256 }),
  https: new https.Agent({ keepAlive: true, keepAliveMsecs: 10_000, maxFreeSockets: 256 }),
};

/** How many times a dropped stream is resumed (GET with Last-Event-ID) before it is given up. */
const MAX_RESUMES = 5;
const DEFAULT_RETRY_MS = 1000;
/** Requests remembered as answered by SSE whose answer the client side has not asked about yet. */
const MAX_STREAMED = 1024;

/** An incremental `text/event-stream` parser: feed it chunks, it calls `onEvent` per complete event. */
export class SseParser {
  private readonly decoder = new StringDecoder("utf8");
  private buffer = "";
  private data: string[] = [];
  private event = "";
  private id: string | undefined;

  constructor(
    private readonly onEvent: (event: { event: string; data: string; id: string | undefined; retry: number | undefined }) => void,
  ) {}

  private retry: number | undefined;

  push(chunk: Buffer): void {
    this.buffer += this.decoder.write(chunk);
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf("\n", start);
      const cr = this.buffer.indexOf("\r", start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        // A lone CR at the end of the buffer may be the first half of CRLF: wait for more.
        if (cr === this.buffer.length - 1) break;
        end = cr;
        next = this.buffer[cr + 1] === "\n" ? cr + 2 : cr + 1;
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else break;
      this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0 || this.retry !== undefined) {
        this.onEvent({ event: this.event || "message", data: this.data.join("\n"), id: this.id, retry: this.retry });
      }
      this.data = [];
      this.event = "";
      this.retry = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

export const PROTOCOL_VERSION_META = "io.modelcontextprotocol/protocolVersion";

const NAMED: Record<string, "name" | "uri"> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };

export { encodeMcpHeader };

/** Header values longer than this are left out (2026-07-28). */
const MAX_PARAM_VALUE = 8192;

/**
 * `Mcp-Method` and, for tools/call, resources/read and prompts/get, `Mcp-Name` (2026-07-28), taken
 * from the message itself — so they always agree with the body the upstream receives — and for a
 * tools/call the `Mcp-Param-*` headers of the arguments the tool marks (`x-mcp-header`, learnt from
 * the upstream's tools/list answers). Older servers ignore them.
 */
export function routingHeaders(message: JSONRPCMessage, paramHeaders?: ParamHeaders): Record<string, string> {
  if (!("method" in message)) return {};
  const headers: Record<string, string> = { "mcp-method": encodeMcpHeader(message.method) };
  const field = NAMED[message.method];
  const params = message.params as Record<string, unknown> | undefined;
  const name = field ? params?.[field] : undefined;
  if (typeof name === "string") headers["mcp-name"] = encodeMcpHeader(name);
  const marks = message.method === "tools/call" && typeof name === "string" ? paramHeaders?.get(name) : undefined;
  if (marks) {
    const args = (params?.arguments ?? {}) as Record<string, unknown>;
    for (const [suffix, argument] of marks) {
      const text = paramHeaderText(args[argument]);
      const value = text === null ? null : encodeMcpHeader(text);
      if (value !== null && value.length <= MAX_PARAM_VALUE) headers[`mcp-param-${suffix}`] = value;
    }
  }
  return headers;
}

function isMessage(value: unknown): value is JSONRPCMessage {
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as { jsonrpc?: unknown }).jsonrpc === "2.0";
}

function isRequest(message: JSONRPCMessage): boolean {
  return "method" in message && "id" in message;
}

function isResponse(message: JSONRPCMessage): boolean {
  return !("method" in message) && "id" in message;
}

export class HttpUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  sessionId?: string;

  private protocolVersion: string | undefined;
  /** 2026-07-28+ (setSessionless): no session id goes upstream; each request's header names its own `_meta` version. */
  private sessionless = false;
  /** HTTP statuses of 4xx JSON-RPC error answers, by request id, until the client side takes them. */
  private readonly statuses = new Map<string | number, number>();
  /** Requests the upstream answered with an SSE stream, until the client side asks (bounded: it may never ask). */
  private readonly streamed = new Set<string | number>();
  private readonly requests = new Set<ClientRequest>();
  /** Which arguments each tool mirrors into `Mcp-Param-*` headers, from the upstream's tools/list answers. */
  private readonly paramHeaders: ParamHeaders = new Map();
  /** Ids of tools/list requests sent and not answered yet. */
  private readonly toolLists = new Set<string | number>();
  private closed = false;
  private readonly module: typeof http | typeof https;
  private readonly agent: http.Agent;

  constructor(
    private readonly url: URL,
    private readonly options: { headers?: Record<string, string> } = {},
  ) {
    const secure = url.protocol === "https:";
    this.module = secure ? https : http;
    this.agent = secure ? agents.https : agents.http;
  }

  async start(): Promise<void> {}

  /**
   * Whether the upstream answered a request with an SSE stream (once), so the client's answer can take
   * the same form: a client sees the same kind of response through the gateway as directly.
   */
  takeStreamed(id: string | number): boolean {
    return this.streamed.delete(id);
  }

  /** The HTTP status the upstream answered a request's error with (once; undefined for a 2xx answer). */
  takeStatus(id: string | number): number | undefined {
    const status = this.statuses.get(id);
    if (status !== undefined) this.statuses.delete(id);
    return status;
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
  }

  /**
   * 2026-07-28 and later: no session. Each request's header names the version its own `_meta` names
   * (`version` when it names none), and a session id the upstream sends anyway is not echoed.
   */
  setSessionless(version: string): void {
    this.sessionless = true;
    this.protocolVersion = version;
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...this.options.headers, ...extra };
    if (this.sessionId && !this.sessionless) headers["mcp-session-id"] = this.sessionId;
    if (this.protocolVersion) headers["mcp-protocol-version"] = this.protocolVersion;
    return headers;
  }

  /** One HTTP exchange; resolves with the response once its headers arrived. */
  private request(method: string, headers: Record<string, string>, body?: string): Promise<IncomingMessage> {
    if (this.closed) return Promise.reject(new Error("transport closed"));
    return new Promise((resolve, reject) => {
      let req: ClientRequest;
      try {
        req = this.module.request(this.url, { method, headers, agent: this.agent }, (res) => {
          const session = res.headers["mcp-session-id"];
          if (typeof session === "string" && session) this.sessionId = session;
          res.once("close", () => this.requests.delete(req));
          resolve(res);
        });
      } catch (error) {
        // Node refuses a header value with control characters and quotes it in its message: not repeated.
        const code = (error as { code?: unknown }).code;
        if (code === "ERR_INVALID_CHAR" || code === "ERR_INVALID_HTTP_TOKEN") {
          reject(new TypeError("Invalid header value in the upstream request"));
          return;
        }
        throw error;
      }
      this.requests.add(req);
      req.once("error", (error) => {
        this.requests.delete(req);
        reject(error);
      });
      req.end(body);
    });
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    const body = JSON.stringify(message);
    const headers = this.headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "content-length": String(Buffer.byteLength(body)),
    });
    Object.assign(headers, routingHeaders(message, this.paramHeaders));
    // An id used again: what its earlier request was answered with says nothing about this one.
    if (isRequest(message)) this.streamed.delete((message as { id: string | number }).id);
    if ("method" in message && message.method === "tools/list" && "id" in message) {
      if (this.toolLists.size >= 64) this.toolLists.clear();
      this.toolLists.add(message.id);
    }
    // 2026-07-28 (sessionless): the version travels in each request's _meta, and the header says the
    // same — each request's own (one client connection may name several, e.g. one the upstream refuses).
    if (this.sessionless || !this.protocolVersion) {
      const version = (message as { params?: { _meta?: Record<string, unknown> } }).params?._meta?.[PROTOCOL_VERSION_META];
      if (typeof version === "string" && /^[\x21-\x7e]{1,64}$/.test(version)) headers["mcp-protocol-version"] = version;
    }
    const res = await this.request("POST", headers, body);
    const status = res.statusCode ?? 0;
    if (status === 202) {
      res.resume();
      // After initialization the server may push notifications and requests on a GET stream.
      if ("method" in message && message.method === "notifications/initialized") void this.openGetStream(undefined, 0);
      return;
    }
    const contentType = (res.headers["content-type"] ?? "").toLowerCase();
    if (status >= 400 && status < 500 && isRequest(message) && contentType.includes("application/json")) {
      // 2026-07-28 answers some refusals with a 4xx and a JSON-RPC error for the request: that error
      // is the upstream's answer and goes to the client (its status too, see takeStatus).
      const parsed = parseJsonOrNull(await readAll(res));
      const id = (message as { id: string | number }).id;
      const answerId = isMessage(parsed) && "error" in parsed ? (parsed as { id: unknown }).id : undefined;
      // An error the server could not tie to the request (id null: it could not read it) is still its answer to it.
      if (isMessage(parsed) && "error" in parsed && (answerId === id || answerId === null)) {
        this.statuses.set(id, status);
        this.deliver({ ...parsed, id } as JSONRPCMessage);
        return;
      }
      throw new StreamableHTTPError(status, `Error POSTing to endpoint (HTTP ${status})`);
    }
    if (status < 200 || status >= 300) {
      res.resume();
      // The body is not quoted: an upstream may reflect what it was sent (a credential).
      throw new StreamableHTTPError(status, `Error POSTing to endpoint (HTTP ${status})`);
    }
    if (!isRequest(message)) {
      res.resume();
      return;
    }
    const type = (res.headers["content-type"] ?? "").toLowerCase();
    if (type.includes("text/event-stream")) {
      const id = (message as { id: string | number }).id;
      if (this.streamed.size >= MAX_STREAMED) this.streamed.delete(this.streamed.values().next().value!);
      this.streamed.add(id);
      void this.readStream(res, { requestId: id, attempt: 0 });
      return;
    }
    if (type.includes("application/json")) {
      // Usually one JSON value; a long-lived answer (a 2026-07-28 subscriptions/listen stream) may
      // send one message per line, each handed on as it completes.
      const first = await readJsonValues(res, (value) => this.handOn(value));
      if (first) throw first;
      return;
    }
    res.resume();
    throw new StreamableHTTPError(-1, "Unexpected content type from the upstream");
  }

  /** Hands an upstream message on, learning the tools' `Mcp-Param-*` marks from tools/list answers on the way. */
  private deliver(message: JSONRPCMessage): void {
    if (this.toolLists.size > 0 && isResponse(message)) {
      const id = (message as { id: string | number }).id;
      if (this.toolLists.delete(id)) learnParamHeaders(this.paramHeaders, (message as { result?: unknown }).result);
    }
    this.onmessage?.(message);
  }

  private handOn(value: unknown): void {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (isMessage(item)) this.deliver(item);
      else this.onerror?.(new Error("upstream sent a JSON value that is not a JSON-RPC message"));
    }
  }

  /**
   * Hands on each event of an SSE response as it completes. A stream that ends before the
   * response to its request arrived is resumed with GET + Last-Event-ID (after the server's `retry`),
   * so a 2025-11-25 server that closes early after a priming event is polled as the spec says.
   */
  private async readStream(res: IncomingMessage, context: { requestId: string | number | undefined; attempt: number }): Promise<void> {
    let lastEventId: string | undefined;
    let retry: number | undefined;
    let answered = false;
    const parser = new SseParser((event) => {
      if (event.id !== undefined) lastEventId = event.id;
      if (event.retry !== undefined) retry = event.retry;
      if (event.event !== "message" || event.data === "") return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(event.data);
      } catch {
        this.onerror?.(new Error("upstream sent an SSE event that is not JSON"));
        return;
      }
      if (!isMessage(parsed)) {
        this.onerror?.(new Error("upstream sent an SSE event that is not a JSON-RPC message"));
        return;
      }
      if (context.requestId !== undefined && isResponse(parsed) && (parsed as { id: unknown }).id === context.requestId) answered = true;
      this.deliver(parsed);
    });
    try {
      for await (const chunk of res) parser.push(chunk as Buffer);
    } catch {
      // A dropped connection: resumed below when the server gave us an event id.
    }
    if (this.closed) return;
    const pending = context.requestId === undefined || !answered;
    if (pending && lastEventId !== undefined && context.attempt < MAX_RESUMES) {
      await delay(retry ?? DEFAULT_RETRY_MS);
      void this.openGetStream(lastEventId, context.attempt + 1, context.requestId);
    }
  }

  /** The GET stream (server → client), or the resumption of a dropped stream with Last-Event-ID. */
  private async openGetStream(lastEventId: string | undefined, attempt: number, requestId?: string | number): Promise<void> {
    if (this.closed) return;
    const headers = this.headers({ accept: "text/event-stream" });
    if (lastEventId !== undefined) headers["last-event-id"] = lastEventId;
    let res: IncomingMessage;
    try {
      res = await this.request("GET", headers);
    } catch (error) {
      if (!this.closed) this.onerror?.(error as Error);
      return;
    }
    const status = res.statusCode ?? 0;
    const type = (res.headers["content-type"] ?? "").toLowerCase();
    if (status !== 200 || !type.includes("text/event-stream")) {
      res.resume();
      // 405: the server offers no GET stream, which is allowed.
      if (status !== 405) this.onerror?.(new StreamableHTTPError(status, `Failed to open SSE stream (HTTP ${status})`));
      return;
    }
    await this.readStream(res, { requestId, attempt });
  }

  async terminateSession(): Promise<void> {
    if (!this.sessionId || this.sessionless) return;
    const res = await this.request("DELETE", this.headers({}));
    res.resume();
    const status = res.statusCode ?? 0;
    if (status !== 405 && (status < 200 || status >= 300))
      throw new StreamableHTTPError(status, `Failed to terminate session (HTTP ${status})`);
    this.sessionId = undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const req of this.requests) req.destroy();
    this.requests.clear();
    this.onclose?.();
  }
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * Reads a JSON body: each complete line that parses is handed on at once (newline-delimited
 * messages), the rest when the body ends. Resolves with a SyntaxError when what is left is not JSON.
 */
export function readJsonValues(res: IncomingMessage, onValue: (value: unknown) => void): Promise<SyntaxError | null> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder("utf8");
    let buffer = "";
    let scanned = 0;
    res.on("data", (chunk: Buffer) => {
      buffer += decoder.write(chunk);
      for (let newline = buffer.indexOf("\n", scanned); newline !== -1; newline = buffer.indexOf("\n", scanned)) {
        const candidate = buffer.slice(0, newline).trim();
        let parsed: unknown;
        let complete = false;
        if (candidate) {
          try {
            parsed = JSON.parse(candidate);
            complete = true;
          } catch {
            // Not a whole value yet (e.g. pretty-printed JSON): keep reading.
          }
        }
        if (complete || !candidate) {
          buffer = buffer.slice(newline + 1);
          scanned = 0;
          if (complete) onValue(parsed);
        } else scanned = newline + 1;
      }
    });
    res.once("end", () => {
      const rest = (buffer + decoder.end()).trim();
      if (!rest) return resolve(null);
      try {
        onValue(JSON.parse(rest));
        resolve(null);
      } catch (error) {
        resolve(error as SyntaxError);
      }
    });
    res.once("error", reject);
  });
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on("data", (chunk: Buffer) => chunks.push(chunk));
    res.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    res.once("error", reject);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
