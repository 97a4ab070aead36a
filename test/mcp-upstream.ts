import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";

export interface McpHttpUpstream {
  server: Server;
  /** The upstream's MCP endpoint, e.g. http://127.0.0.1:PORT/mcp */
  url: string;
  close(): Promise<void>;
}

/**
 * A real SDK MCP server over Streamable HTTP on a free loopback port, one McpServer per session
 * (made by `makeServer`), for gateway tests that need to see what reaches the upstream.
 */
export async function startMcpHttpUpstream(
  makeServer: () => McpServer,
  options: { onRequest?: (req: IncomingMessage) => void } = {},
): Promise<McpHttpUpstream> {
  const transports = new Map<string, StreamableHTTPServerTransport>();
  const server = createServer(async (req, res) => {
    options.onRequest?.(req);
    const sid = req.headers["mcp-session-id"] as string | undefined;
    let transport = sid ? transports.get(sid) : undefined;
    if (!transport) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomBytes(8).toString("hex"),
        onsessioninitialized: (id) => void transports.set(id, created),
      });
      await makeServer().connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
