import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { WebSocket } from "ws";

// The SDK's WebSocketClientTransport uses the global `WebSocket` (absent on Node 20) and cannot send
// headers, so it could not carry a connection's credential. This is the same small transport on the
// `ws` package: subprotocol `mcp`, one JSON-RPC message per text frame, the credential headers sent
// with the upgrade request, and nothing of the client's request.

/** The upstream refused the WebSocket upgrade with this HTTP status (see describeUpstreamFailure). */
export class WebSocketUpgradeError extends Error {
  constructor(readonly status: number) {
    super(`WebSocket upgrade refused with HTTP ${status}`);
    this.name = "WebSocketUpgradeError";
  }
}

export interface WebSocketUpstreamOptions {
  /** The connection's credential headers, sent with the upgrade request. */
  headers?: Record<string, string>;
  /** Largest frame accepted from the upstream. */
  maxPayload?: number;
  /** How long the upgrade may take. */
  handshakeTimeoutMs?: number;
  /** A ping this often keeps idle connections (and the proxies between) open. */
  keepAliveMs?: number;
}

export class WebSocketUpstreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private socket: WebSocket | undefined;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: URL,
    private readonly options: WebSocketUpstreamOptions = {},
  ) {}

  start(): Promise<void> {
    if (this.socket) throw new Error("WebSocketUpstreamTransport already started");
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, ["mcp"], {
        headers: this.options.headers ?? {},
        maxPayload: this.options.maxPayload ?? 4 * 1024 * 1024,
        handshakeTimeout: this.options.handshakeTimeoutMs ?? 10_000,
        perMessageDeflate: false,
        followRedirects: false,
      });
      this.socket = socket;
      let opened = false;
      socket.once("unexpected-response", (_request, response) => {
        response.resume();
        const error = new WebSocketUpgradeError(response.statusCode ?? 0);
        socket.terminate();
        reject(error);
      });
      socket.once("open", () => {
        opened = true;
        const every = this.options.keepAliveMs ?? 30_000;
        this.keepAlive = setInterval(() => socket.ping(), every);
        this.keepAlive.unref();
        resolve();
      });
      socket.on("error", (error) => {
        if (!opened) reject(error);
        else this.onerror?.(error);
      });
      socket.on("close", () => {
        clearInterval(this.keepAlive);
        if (opened) this.onclose?.();
      });
      socket.on("message", (data, isBinary) => {
        if (isBinary) {
          this.onerror?.(new Error("upstream sent a binary WebSocket frame; MCP uses text frames"));
          return;
        }
        let message: JSONRPCMessage;
        try {
          message = JSONRPCMessageSchema.parse(JSON.parse(data.toString()));
        } catch (error) {
          this.onerror?.(error as Error);
          return;
        }
        this.onmessage?.(message);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.reject(new Error("Not connected"));
    return new Promise((resolve, reject) => socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve())));
  }

  async close(): Promise<void> {
    clearInterval(this.keepAlive);
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.close(1000);
      // A peer that never answers the close frame is cut off.
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}
