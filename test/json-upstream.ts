import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

// A small Streamable HTTP MCP server for gateway tests: answers every request with one JSON body
// (no SSE, no GET stream), so many sessions cost it next to nothing. `onCall` decides what
// `tools/call` answers and may write the HTTP response itself.

export interface JsonRpcRequest {
  id: number | string;
  method: string;
  params?: { name?: string; arguments?: Record<string, unknown>; protocolVersion?: string };
}

export interface JsonUpstream {
  url: string;
  /** Sessions initialized so far. */
  initialized: number;
  close(): Promise<void>;
}

export async function startJsonUpstream(
  options: {
    tools?: string[];
    /** Returns a JSON-RPC `result` or `error` member, or writes `res` itself and returns null. */
    onCall?: (
      request: JsonRpcRequest,
      headers: IncomingHttpHeaders,
      res: ServerResponse,
    ) => { result: unknown } | { error: { code: number; message: string; data?: unknown } } | null;
  } = {},
): Promise<JsonUpstream> {
  const tools = options.tools ?? ["echo"];
  const state = { initialized: 0 };
  const server = createServer((req, res) => {
    if (req.method === "DELETE") return void res.writeHead(200).end();
    if (req.method !== "POST") return void res.writeHead(405).end();
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    req.on("end", () => {
      const message = JSON.parse(text) as Partial<JsonRpcRequest>;
      if (message.id === undefined || message.method === undefined) return void res.writeHead(202).end();
      const request = message as JsonRpcRequest;
      let answer: { result: unknown } | { error: { code: number; message: string; data?: unknown } } | null;
      if (request.method === "initialize") {
        state.initialized += 1;
        answer = {
          result: {
            protocolVersion: request.params?.protocolVersion ?? "2025-06-18",
            capabilities: { tools: {} },
            serverInfo: { name: "json-upstream", version: "1.0.0" },
          },
        };
      } else if (request.method === "tools/list") {
        answer = { result: { tools: tools.map((name) => ({ name, inputSchema: { type: "object" } })) } };
      } else if (request.method === "tools/call" && options.onCall) {
        answer = options.onCall(request, req.headers, res);
      } else if (request.method === "tools/call") {
        answer = { result: { content: [{ type: "text", text: `Echo: ${String(request.params?.arguments?.message ?? "")}` }] } };
      } else {
        answer = { error: { code: -32601, message: `Method not found: ${request.method}` } };
      }
      if (answer === null) return;
      res.writeHead(200, { "content-type": "application/json", "mcp-session-id": `upstream-${state.initialized}` });
      res.end(JSON.stringify({ jsonrpc: "2.0", id: request.id, ...answer }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    get initialized() {
      return state.initialized;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
