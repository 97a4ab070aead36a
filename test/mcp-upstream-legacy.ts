import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { type WebSocket, WebSocketServer } from "ws";

// Upstream MCP servers over the legacy HTTP+SSE transport and over WebSocket, for gateway tests:
// real SDK McpServers (one per client connection, made by `makeServer`), recording the headers
// each request or upgrade arrived with.

export interface LegacyUpstream {
  /** The URL a connection points at: http://…/sse or ws://…/ws */
  url: string;
  /** Headers of every HTTP request (SSE: GET and POSTs) or WebSocket upgrade that reached it. */
  requests: IncomingHttpHeaders[];
  /** Open client connections (SSE streams or sockets) right now. */
  readonly open: number;
  close(): Promise<void>;
}

/** The SDK's own SSEServerTransport over node:http: GET /sse opens the stream, POST /messages?sessionId=… carries messages. */
export async function startMcpSseUpstream(makeServer: () => McpServer, options: { refuseWith?: number } = {}): Promise<LegacyUpstream> {
  const transports = new Map<string, SSEServerTransport>();
  const requests: IncomingHttpHeaders[] = [];
  const server = createServer(async (req, res) => {
    requests.push(req.headers);
    if (options.refuseWith) {
      res.writeHead(options.refuseWith).end();
      return;
    }
    const url = new URL(req.url ?? "/", "http://upstream");
    if (req.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", res);
      transports.set(transport.sessionId, transport);
      res.once("close", () => transports.delete(transport.sessionId));
      await makeServer().connect(transport);
      return;
    }
    const transport = transports.get(url.searchParams.get("sessionId") ?? "");
    if (req.method === "POST" && url.pathname === "/messages" && transport) {
      await transport.handlePostMessage(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`,
    requests,
    get open() {
      return transports.size;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The tiny Transport adapter between one `ws` socket and an SDK McpServer: one JSON-RPC message per text frame. */
class WebSocketServerSide implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  constructor(private readonly socket: WebSocket) {
    socket.on("message", (data) => {
      try {
        this.onmessage?.(JSONRPCMessageSchema.parse(JSON.parse(data.toString())));
      } catch (error) {
        this.onerror?.(error as Error);
      }
    });
    socket.on("close", () => this.onclose?.());
  }

  async start(): Promise<void> {}

  async send(message: JSONRPCMessage): Promise<void> {
    await new Promise<void>((resolve, reject) => this.socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    this.socket.close();
  }
}

/** A `ws` server at /ws speaking MCP (subprotocol `mcp`) to an SDK McpServer per connection. */
export async function startMcpWebSocketUpstream(
  makeServer: () => McpServer,
  options: { refuseWith?: number } = {},
): Promise<LegacyUpstream> {
  const requests: IncomingHttpHeaders[] = [];
  const sockets = new Set<WebSocket>();
  const http = createServer((_req, res) => res.writeHead(426).end());
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has("mcp") ? "mcp" : false),
  });
  http.on("upgrade", (req, socket, head) => {
    requests.push(req.headers);
    if (options.refuseWith || new URL(req.url ?? "/", "http://upstream").pathname !== "/ws") {
      socket.end(`HTTP/1.1 ${options.refuseWith ?? 404} Refused\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.once("close", () => sockets.delete(ws));
      void makeServer().connect(new WebSocketServerSide(ws));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`,
    requests,
    get open() {
      return sockets.size;
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
