import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// WebSocket clients: a JSON-RPC batch in one frame is answered with one array frame (2025-03-26
// batch semantics). WebSocket and legacy SSE sessions, recorded before the client's initialize,
// get its clientInfo on their session row.

let harness: TestGateway;
let upstream: McpHttpUpstream;

beforeAll(async () => {
  harness = await startTestGateway();
  upstream = await startMcpHttpUpstream(() => {
    const server = new McpServer({ name: "echo", version: "1.0.0" });
    server.registerTool("echo", { description: "Echoes", inputSchema: { message: z.string() } }, async ({ message }) => ({
      content: [{ type: "text", text: `Echo: ${message}` }],
    }));
    return server;
  });
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "echo", name: "Echo", transport: "streamable-http", url: upstream.url, maxMinutes: 30 },
  });
});
afterAll(async () => {
  await harness?.stop();
  await upstream?.close();
});

async function mint() {
  return grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "echo" });
}

describe("WebSocket batches and recorded client info", () => {
  it("answers a batch frame with one array frame, and records the client's info from its initialize", async () => {
    const { token, grantId } = await mint();
    const ws = new WebSocket(`${harness.gateway.url.replace("http", "ws")}/ws/echo`, ["mcp"], {
      headers: { Authorization: `Bearer ${token}` },
    });
    const frames: unknown[] = [];
    ws.on("message", (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    ws.send(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "batching-client", version: "2.0" } },
      }),
    );
    await waitFor(() => frames.length === 1);
    ws.send(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    ws.send(
      JSON.stringify([
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
        { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { message: "batched" } } },
        { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "x", progress: 1 } },
      ]),
    );
    await waitFor(() => frames.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(frames).toHaveLength(2);
    const batch = frames[1] as Array<{ id: number; result: Record<string, unknown> }>;
    expect(Array.isArray(batch)).toBe(true);
    expect(batch.map((answer) => answer.id).sort()).toEqual([2, 3]);
    expect(batch.find((answer) => answer.id === 3)?.result).toMatchObject({ content: [{ text: "Echo: batched" }] });

    // A batch of notifications only is answered with nothing; single messages still get single answers.
    ws.send(JSON.stringify([{ jsonrpc: "2.0", method: "notifications/roots/list_changed" }]));
    ws.send(JSON.stringify({ jsonrpc: "2.0", id: 4, method: "ping" }));
    await waitFor(() => frames.length === 3);
    expect(frames[2]).toMatchObject({ id: 4, result: {} });

    const session = harness.gateway.registry.forGrant(grantId)[0]!;
    const row = await waitFor(async () => {
      const found = await harness.t.db.session.findUniqueOrThrow({ where: { id: session.id } });
      return found.clientInfo ? found : null;
    });
    expect(row.clientInfo).toEqual({ name: "batching-client", version: "2.0" });
    expect(row.transport).toBe("websocket");
    ws.close();
  });

  it("records a legacy SSE client's info from its initialize", async () => {
    const { token, grantId } = await mint();
    const client = new Client({ name: "legacy-sse-client", version: "3.1" });
    await client.connect(
      new SSEClientTransport(new URL(`${harness.gateway.url}/sse/echo`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const session = harness.gateway.registry.forGrant(grantId)[0]!;
    const row = await waitFor(async () => {
      const found = await harness.t.db.session.findUniqueOrThrow({ where: { id: session.id } });
      return found.clientInfo ? found : null;
    });
    expect(row.clientInfo).toEqual({ name: "legacy-sse-client", version: "3.1" });
    expect(row.transport).toBe("sse");
    await client.close();
  });
});
