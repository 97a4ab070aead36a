import type { IncomingMessage, ServerResponse } from "node:http";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { GatewayError } from "../errors.ts";
import { authorize } from "../pipeline/authorize.ts";
import { bearerOf } from "../secrets.ts";
import type { ClientSide } from "../session.ts";
import { parseJsonRpcBody, peekRequestId, readBody, requestIdOf } from "./body.ts";
import { noteClientInfo } from "./client-info.ts";
import {
  authenticateCaller,
  authorizedConnection,
  type ListenedSession,
  openListenedSession,
  refuseTokenInUrl,
  type TransportListenerDeps,
} from "./open-session.ts";

// The legacy HTTP+SSE transport (MCP 2024-11-05) towards clients, at /sse/<slug>:
//   GET  /sse/<slug>                          opens the event stream; its first event, `endpoint`,
//                                              names the URL to POST messages to;
//   POST /sse/<slug>/messages?sessionId=<id>  carries one JSON-RPC message (or a batch): 202, no body;
// every message from the gateway is an `event: message` on the stream, keep-alive comments between.
// The stream is the session: when it closes, the session ends (the client went away). Each POST is
// authenticated, and must come from the grant that opened the session.

const PREFIX = "/sse";

/** The client side of a legacy SSE session: the open event stream. */
class SseClientSide implements ClientSide {
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

/** GET /sse/<slug>: opens a session and its event stream. */
async function openStream(deps: TransportListenerDeps, req: IncomingMessage, res: ServerResponse, slug: string, url: URL): Promise<void> {
  refuseTokenInUrl(url);
  const caller = await authenticateCaller(deps, req.headers, slug);
  const connection = await authorizedConnection(deps, caller, slug, PREFIX);
  const client = new SseClientSide(res, deps.keepAliveMs);
  const session = await openListenedSession(deps, {
    caller,
    connection,
    slug,
    transport: "sse",
    client,
    bearer: bearerOf(req.headers.authorization),
  });
  if (res.destroyed) {
    await session.close("client went away");
    return;
  }
  // The stream counts as an open request while it is open; without it the session is of no use.
  const request = session.beginRequest();
  res.once("close", () => {
    request.done(true);
    void session.close("client went away");
  });
  client.open(`${PREFIX}/${slug}/messages?sessionId=${encodeURIComponent(session.id)}`);
}

/** POST /sse/<slug>/messages?sessionId=<id>: one message (or a batch) for the session's upstream. */
async function postMessages(deps: TransportListenerDeps, req: IncomingMessage, res: ServerResponse, slug: string, url: URL): Promise<void> {
  const read: { body?: unknown; attempted?: boolean } = {};
  try {
    await deliver(deps, req, res, slug, url, read);
  } catch (error) {
    // A refusal names the request it refuses: from the body read, or (refused before reading it) a small body read now.
    if (error instanceof GatewayError && error.rpcId === undefined) {
      error.rpcId = read.attempted ? requestIdOf(read.body) : await peekRequestId(req);
    }
    throw error;
  }
}

async function deliver(
  deps: TransportListenerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  slug: string,
  url: URL,
  read: { body?: unknown; attempted?: boolean },
): Promise<void> {
  refuseTokenInUrl(url, ["sessionId"]);
  const caller = await authenticateCaller(deps, req.headers, slug);
  const found = deps.registry.get(url.searchParams.get("sessionId") ?? "");
  // Session ids are not credentials: a session answers only to the grant that opened it, at its own URL.
  if (
    !found ||
    !(found.client instanceof SseClientSide) ||
    found.grant.id !== caller.grant.id ||
    found.connection.slug !== slug ||
    found.isClosed
  ) {
    await authorizedConnection(deps, caller, slug, PREFIX);
    throw new GatewayError("SESSION_NOT_FOUND", `Session not found or ended; open a new event stream with GET ${PREFIX}/${slug}.`);
  }
  authorize(caller.grant, found.connection);
  read.attempted = true;
  const body = parseJsonRpcBody(await readBody(req, deps.maxBodyBytes));
  read.body = body;
  const messages: JSONRPCMessage[] = [];
  for (const item of Array.isArray(body) ? body : [body]) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success) throw new GatewayError("INVALID_REQUEST", "Body must hold JSON-RPC 2.0 messages.");
    messages.push(parsed.data);
  }
  found.updateGrant(caller.grant);
  res.writeHead(202, { "content-type": "text/plain" }).end("Accepted");
  // Answers travel on the event stream, in the order the upstream sends them.
  for (const message of messages) {
    noteClientInfo(deps.db, found.id, message, deps.log);
    void (found as ListenedSession).fromClient(message);
  }
}

/** Routes `/sse/<slug>` (GET) and `/sse/<slug>/messages` (POST). */
export async function handleSse(
  deps: TransportListenerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  slug: string,
  messagesEndpoint: boolean,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://gateway");
  if (!messagesEndpoint && req.method === "GET") return openStream(deps, req, res, slug, url);
  if (messagesEndpoint && req.method === "POST") return postMessages(deps, req, res, slug, url);
  throw new GatewayError(
    "METHOD_NOT_ALLOWED",
    `The legacy SSE transport takes GET ${PREFIX}/${slug} (the event stream) and POST ${PREFIX}/${slug}/messages?sessionId=… (messages).`,
  );
}
