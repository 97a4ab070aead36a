import type { IncomingMessage, ServerResponse } from "node:http";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { GatewayError } from "../errors.ts";
import { authorize } from "../pipeline/authorize.ts";
import { bearerOf } from "../secrets.ts";
import { parseJsonRpcBody, peekRequestId, readBody, requestIdOf } from "./body.ts";
import { noteClientInfo } from "./client-info.ts";
import { authenticateCaller, authorizedConnection, refuseTokenInUrl, type TransportListenerDeps, takeSessionSlot } from "./open-session.ts";
import { SseStream } from "./sse-stream.ts";

// The legacy HTTP+SSE transport (MCP 2024-11-05) towards clients, at /sse/<slug>:
//   GET  /sse/<slug>                          opens the event stream; its first event, `endpoint`,
//                                              names the URL to POST messages to;
//   POST /sse/<slug>/messages?sessionId=<id>  carries one JSON-RPC message (or a batch): 202, no body;
// every message from the gateway is an `event: message` on the stream, keep-alive comments between.
// The stream is the session: the first POSTed message opens it (sse-stream.ts), and when the stream
// closes, the session ends (the client went away). Each POST is authenticated, and must come from
// the grant that opened the stream.

const PREFIX = "/sse";

/**
 * GET /sse/<slug>: authenticates, authorizes, takes a session slot and opens the event stream. The
 * session itself (recorded, upstream started) waits for the first message: see SseStream.
 */
async function openStream(deps: TransportListenerDeps, req: IncomingMessage, res: ServerResponse, slug: string, url: URL): Promise<void> {
  refuseTokenInUrl(url);
  const caller = await authenticateCaller(deps, req.headers, slug);
  const connection = await authorizedConnection(deps, caller, slug, PREFIX);
  // An open stream counts against the caps even before it sends anything: probes cannot pile up.
  const slot = takeSessionSlot(deps, caller, connection);
  const stream = new SseStream(deps, { caller, connection, slug, bearer: bearerOf(req.headers.authorization), slot, res });
  stream.start(`${PREFIX}/${slug}/messages`);
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
  const found = deps.registry.stream(url.searchParams.get("sessionId") ?? "");
  // Stream ids are not credentials: a stream answers only to the grant that opened it, at its own URL.
  if (!(found instanceof SseStream) || found.grantId !== caller.grant.id || found.slug !== slug || found.isEnded) {
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
  // The first message opens the session (recorded before the message is), or its refusal answers this POST.
  const session = await found.sessionFor(caller);
  if (session.isClosed) {
    throw new GatewayError("SESSION_NOT_FOUND", `Session not found or ended; open a new event stream with GET ${PREFIX}/${slug}.`);
  }
  session.updateGrant(caller.grant);
  res.writeHead(202, { "content-type": "text/plain" }).end("Accepted");
  // Answers travel on the event stream, in the order the upstream sends them.
  for (const message of messages) {
    noteClientInfo(deps.db, session.id, message, deps.log);
    void session.fromClient(message);
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
