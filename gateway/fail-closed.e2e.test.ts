import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { adminUrl } from "../test/postgres.ts";

// Fail closed: when Postgres goes away the gateway refuses every call with a clear error — it
// neither forwards unrecorded messages nor crashes — and reports itself not ready.

let harness: TestGateway;

beforeAll(async () => {
  harness = await startTestGateway();
});
afterAll(async () => harness?.stop());

describe("gateway without its database", () => {
  it("refuses calls with 503 and a clear message, stays alive, and reports not ready", async () => {
    const { t, gateway, users } = harness;
    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const { client, transport } = mcpClient(gateway.url, token);
    await client.connect(transport);
    await client.callTool({ name: "echo", arguments: { message: "before" } });

    // Take the database away from under the running gateway.
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    const name = new URL(t.url).pathname.slice(1);
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await admin.end();

    await expect(client.callTool({ name: "echo", arguments: { message: "after" } })).rejects.toThrow(/cannot reach its database|record/);
    const fresh = await fetch(`${gateway.url}/mcp/everything`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
      }),
    });
    expect(fresh.status).toBe(503);
    expect(((await fresh.json()) as { error: { code: number; message: string } }).error).toMatchObject({
      code: -32010,
      message: expect.stringMatching(/refused until it is back/),
    });
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    await client.close().catch(() => undefined);
  });

  it("does not forward a call it cannot record: the upstream never sees it", async () => {
    // A real SDK MCP server over HTTP that counts the calls it executes.
    let executed = 0;
    const upstream = createServer(async (req, res) => {
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      const server = new McpServer({ name: "counter", version: "1.0.0" });
      server.registerTool("count", { description: "Counts calls", inputSchema: {} }, async () => ({
        content: [{ type: "text", text: String(++executed) }],
      }));
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    try {
      const recorded = await startTestGateway();
      const port = (upstream.address() as AddressInfo).port;
      await createConnection(recorded.t.db, {
        actor: recorded.users.carol,
        vaultKey: recorded.vaultKey,
        input: { slug: "counter", name: "Counter", transport: "streamable-http", url: `http://127.0.0.1:${port}/mcp`, maxMinutes: 30 },
      });
      const { token } = await grantAndMint(recorded.t.db, {
        requester: recorded.users.alice,
        approver: recorded.users.bob,
        connection: "counter",
      });
      const { client, transport } = mcpClient(recorded.gateway.url, token, "counter");
      await client.connect(transport);
      expect(await client.callTool({ name: "count", arguments: {} })).toMatchObject({ content: [{ text: "1" }] });

      // Recording breaks (the table is gone) while authentication still works.
      await recorded.t.db.$executeRawUnsafe(`ALTER TABLE "SessionEvent" RENAME TO "SessionEventGone"`);
      await expect(client.callTool({ name: "count", arguments: {} })).rejects.toThrow(/cannot record this call/);
      expect(executed).toBe(1);
      expect(recorded.logs.some((line) => line.includes("recording failed; refusing message"))).toBe(true);
      await client.close().catch(() => undefined);
      await recorded.stop();
    } finally {
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });
});
