import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { type JSONRPCMessage, JSONRPCMessageSchema, type RequestId } from "@modelcontextprotocol/sdk/types.js";
import { type WebSocket, WebSocketServer } from "ws";
import { errorBody, GatewayError } from "../errors.ts";
import { connectionOfPath, gatewayOrigin, resourceMetadataUrl, wwwAuthenticate } from "../oauth-metadata.ts";
import { checkOrigin, type OriginPolicy } from "../pipeline/check-origin.ts";
import { bearerOf, scrubSecrets, secretPatterns } from "../secrets.ts";
import type { ClientSide } from "../session.ts";
import { parseJsonRpcBody } from "./body.ts";
import { noteClientInfo } from "./client-info.ts";
import {
  authenticateCaller,
  authorizedConnection,
  BEARER_PROTOCOL_PREFIX,
  type ListenedSession,
  openListenedSession,
  refuseTokenInUrl,
  type TransportListenerDeps,
} from "./open-session.ts";

// WebSocket towards clients, at ws://…/ws/<slug>: subprotocol `mcp`, one JSON-RPC message per text
// frame. Everything is decided during the HTTP upgrade — Origin, the token (Authorization header,
// or a `tollgate.bearer.<token>` Sec-WebSocket-Protocol entry for clients that cannot set headers;
// never the URL), the grant, the caps, the policy, the upstream — so every refusal is an HTTP status
// with a JSON-RPC error body, before the socket is upgraded. The socket is the session: when it
// closes, the session ends; when the session ends (grant revoked or expired, idle, shutdown), the
// socket is closed with a code and the reason. A JSON-RPC batch (a frame holding an array, as
// 2025-03-26 allowed) is split into messages, each checked and recorded, and answered with one
// array frame once every request in it is answered; what the server sends meanwhile (notifications,
// its own requests) goes out at once.

const WS_PATH = /^\/ws\/([a-z0-9-]+)\/?$/;
const PREFIX = "/ws";
/** Close codes of a client that ended the session on purpose: normal, going away, no status code given. */
const CLEAN_CLOSE_CODES = new Set([1000, 1001, 1005]);

/** The close code a session's end reason maps to: 1008 (policy) when the grant or the token ended, 1001 when the gateway is going away. */
function closeCodeOf(reason: string | null): number {
  if (reason === "grant revoked" || reason === "grant expired" || reason === "gateway token revoked" || reason === "access token expired")
    return 1008;
  if (reason === "gateway shutting down") return 1001;
  if (reason === "upstream closed" || reason === "upstream failed to start" || reason === "recording failed") return 1011;
  return 1000;
}

/** A batch from the client: the requests still unanswered, and the answers so far. */
interface PendingBatch {
  waiting: Set<RequestId>;
  answers: JSONRPCMessage[];
}

/** The client side of a WebSocket session; messages sent before the upgrade completes wait for it. */
class WebSocketClientSide implements ClientSide {
  private socket: WebSocket | undefined;
  private readonly pending: string[] = [];
  /** Open batches by the ids of their unanswered requests. */
  private readonly batches = new Map<RequestId, PendingBatch>();
  private keepAlive: NodeJS.Timeout | undefined;
  private closed = false;
  /** Set once the session exists: its end reason becomes the close reason. */
  session: ListenedSession | undefined;

  constructor(private readonly keepAliveMs: number) {}

  attach(socket: WebSocket): void {
    this.socket = socket;
    for (const data of this.pending.splice(0)) socket.send(data);
    // A ping every keepAliveMs; a peer that has not answered the previous one is gone.
    let alive = true;
    socket.on("pong", () => {
      alive = true;
    });
    this.keepAlive = setInterval(() => {
      if (!alive) {
        socket.terminate();
        return;
      }
      alive = false;
      socket.ping();
    }, this.keepAliveMs);
    this.keepAlive.unref();
    socket.once("close", () => clearInterval(this.keepAlive));
  }

  /**
   * A batch arrived: answers to `requestIds` are collected and sent as one array, with `refusals`
   * (answers to its invalid entries); a batch without requests gets only its refusals, at once.
   */
  expectBatch(requestIds: RequestId[], refusals: JSONRPCMessage[]): Promise<void> {
    if (requestIds.length === 0) return refusals.length > 0 ? this.write(JSON.stringify(refusals)) : Promise.resolve();
    const batch: PendingBatch = { waiting: new Set(requestIds), answers: [...refusals] };
    for (const id of batch.waiting) this.batches.set(id, batch);
    return Promise.resolve();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("The client's WebSocket is closed");
    const id = !("method" in message) && "id" in message ? (message.id as RequestId) : undefined;
    const batch = id !== undefined ? this.batches.get(id) : undefined;
    if (batch && id !== undefined) {
      // An answer to a request of a batch: held until the batch is complete, then sent as one array.
      this.batches.delete(id);
      batch.waiting.delete(id);
      batch.answers.push(message);
      if (batch.waiting.size > 0) return;
      return this.write(JSON.stringify(batch.answers));
    }
    return this.write(JSON.stringify(message));
  }

  private async write(data: string): Promise<void> {
    if (this.closed) throw new Error("The client's WebSocket is closed");
    const socket = this.socket;
    if (!socket) {
      this.pending.push(data);
      return;
    }
    if (socket.readyState !== socket.OPEN) throw new Error("The client's WebSocket is closed");
    await new Promise<void>((resolve, reject) => socket.send(data, (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.keepAlive);
    const socket = this.socket;
    if (!socket || socket.readyState === socket.CLOSED || socket.readyState === socket.CLOSING) return;
    const reason = this.session?.closeReason ?? "session ended";
    // A close reason is at most 123 bytes.
    socket.close(closeCodeOf(this.session?.closeReason ?? null), reason.slice(0, 120));
    // A peer that never answers the close frame is cut off.
    setTimeout(() => socket.terminate(), 2000).unref();
  }
}

/** The offered subprotocols (`Sec-WebSocket-Protocol`, comma-separated). */
function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers["sec-websocket-protocol"];
  return (header ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
}

/**
 * The Authorization header the caller is authenticated by: the header itself, or one built from a
 * `tollgate.bearer.<token>` protocol entry. Both at once must agree.
 */
function authorizationOf(req: IncomingMessage, protocols: string[]): string | undefined {
  const entries = protocols.filter((entry) => entry.startsWith(BEARER_PROTOCOL_PREFIX));
  if (entries.length > 1) throw new GatewayError("UNAUTHENTICATED", "Send one bearer token, not several.");
  const fromProtocol = entries[0] ? `Bearer ${entries[0].slice(BEARER_PROTOCOL_PREFIX.length)}` : undefined;
  const header = req.headers.authorization;
  if (header && fromProtocol && bearerOf(header) !== bearerOf(fromProtocol)) {
    throw new GatewayError("UNAUTHENTICATED", "The Authorization header and the Sec-WebSocket-Protocol token differ; send one token.");
  }
  return header ?? fromProtocol;
}

/** An HTTP answer on the socket instead of the upgrade, then the socket is closed. */
function refuseUpgrade(socket: Duplex, error: GatewayError, req: IncomingMessage, publicUrl: string | undefined): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(error));
  const lines = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? "Error"}`,
    "content-type: application/json",
    `content-length: ${Buffer.byteLength(body)}`,
    "connection: close",
  ];
  if (error.kind === "UNAUTHENTICATED") {
    // RFC 9728: where this connection's protected resource metadata is (MCP clients start OAuth from it).
    const metadataUrl = resourceMetadataUrl(
      gatewayOrigin(publicUrl, req),
      connectionOfPath(new URL(req.url ?? "/", "http://gateway").pathname),
    );
    const tokenPresented =
      req.headers.authorization !== undefined || offeredProtocols(req).some((entry) => entry.startsWith(BEARER_PROTOCOL_PREFIX));
    lines.push(`www-authenticate: ${wwwAuthenticate({ metadataUrl, tokenPresented, description: error.message })}`);
  }
  if (error.kind === "LIMIT_REACHED") lines.push("retry-after: 5");
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

export interface WebSocketListener {
  /** The server's `upgrade` handler: `/ws/<slug>` is served, anything else refused. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, origins: OriginPolicy | undefined): void;
}

export function createWebSocketListener(deps: TransportListenerDeps): WebSocketListener {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: deps.maxBodyBytes,
    // Only `mcp` is ever selected: the token entry is never echoed back.
    handleProtocols: (protocols) => (protocols.has("mcp") ? "mcp" : false),
  });

  async function open(req: IncomingMessage, socket: Duplex, head: Buffer, slug: string, url: URL): Promise<void> {
    refuseTokenInUrl(url);
    const protocols = offeredProtocols(req);
    const authorization = authorizationOf(req, protocols);
    if (protocols.length > 0 && !protocols.includes("mcp")) {
      throw new GatewayError("INVALID_REQUEST", 'Offer the WebSocket subprotocol "mcp" (Sec-WebSocket-Protocol: mcp).');
    }
    const headers = { ...req.headers };
    if (authorization) headers.authorization = authorization;
    else delete headers.authorization;
    const caller = await authenticateCaller(deps, headers, slug);
    const connection = await authorizedConnection(deps, caller, slug, PREFIX);
    const client = new WebSocketClientSide(deps.keepAliveMs);
    const session = await openListenedSession(deps, {
      caller,
      connection,
      slug,
      transport: "websocket",
      client,
      bearer: bearerOf(authorization),
    });
    client.session = session;
    if (socket.destroyed || !socket.writable) {
      await session.close("client went away");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      client.attach(ws);
      const request = session.beginRequest();
      let clientInfoNoted = false;
      ws.on("message", (data, isBinary) => {
        if (isBinary) {
          ws.close(1003, "MCP messages are JSON text frames");
          return;
        }
        let body: unknown;
        try {
          body = parseJsonRpcBody(data.toString());
        } catch (error) {
          const refusal = error instanceof GatewayError ? error : new GatewayError("PARSE_ERROR", "Not a JSON-RPC message.");
          deps.metrics.refusal(refusal.kind);
          void client.send(errorBody(refusal) as JSONRPCMessage).catch(() => undefined);
          return;
        }
        const messages: JSONRPCMessage[] = [];
        const refusals: JSONRPCMessage[] = [];
        for (const item of Array.isArray(body) ? body : [body]) {
          const parsed = JSONRPCMessageSchema.safeParse(item);
          if (parsed.success) messages.push(parsed.data);
          else refusals.push(errorBody(new GatewayError("INVALID_REQUEST", "Not a JSON-RPC 2.0 message.")) as JSONRPCMessage);
        }
        if (Array.isArray(body)) {
          const ids = messages.flatMap((message) => ("method" in message && "id" in message ? [message.id as RequestId] : []));
          void client.expectBatch(ids, refusals).catch(() => undefined);
        } else {
          for (const refusal of refusals) void client.send(refusal).catch(() => undefined);
        }
        for (const message of messages) {
          if (!clientInfoNoted) clientInfoNoted = noteClientInfo(deps.db, session.id, message, deps.log);
          void session.fromClient(message);
        }
      });
      ws.on("error", () => ws.terminate());
      ws.once("close", (code) => {
        request.done(true);
        // A clean close by the client ends the session like DELETE does; anything else is a client gone.
        // 1005: a close frame without a status code, what the SDK's WebSocketClientTransport and a
        // browser's `socket.close()` send; 1006 (no close frame at all) is a client gone.
        void session.close(CLEAN_CLOSE_CODES.has(code) ? "client ended session" : "client went away");
      });
      if (session.isClosed) void client.close();
    });
  }

  return {
    upgrade(req, socket, head, origins) {
      socket.on("error", () => socket.destroy());
      const url = new URL(req.url ?? "/", "http://gateway");
      const match = WS_PATH.exec(url.pathname);
      const work = (async () => {
        // Node hands every Upgrade request here once a WebSocket listener exists (e.g. curl --http2's h2c).
        if (String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
          throw new GatewayError(
            "INVALID_REQUEST",
            `This gateway does not switch to "${String(req.headers.upgrade).slice(0, 20)}": send the request without an Upgrade header (HTTP/1.1), or upgrade to websocket on ${PREFIX}/<connection-slug>.`,
          );
        }
        if (!match) {
          throw new GatewayError("UNKNOWN_CONNECTION", `Nothing at ${url.pathname}. WebSocket endpoints are ${PREFIX}/<connection-slug>.`);
        }
        if (origins) checkOrigin(origins, req.headers);
        deps.metrics.httpRequest("GET");
        await open(req, socket, head, match[1]!, url);
      })();
      work.catch((error: unknown) => {
        const refusal = error instanceof GatewayError ? error : new GatewayError("INTERNAL", "Internal gateway error.");
        if (!(error instanceof GatewayError)) {
          const protocolTokens = offeredProtocols(req).map((entry) => entry.slice(BEARER_PROTOCOL_PREFIX.length));
          const secrets = secretPatterns([bearerOf(req.headers.authorization), ...protocolTokens]);
          deps.log.error("unhandled upgrade error", { error: scrubSecrets(String((error as Error)?.message), secrets) });
        }
        deps.metrics.refusal(refusal.kind);
        refuseUpgrade(socket, refusal, req, deps.publicUrl);
      });
    },
  };
}
