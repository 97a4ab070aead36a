import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, adminUrl, type TestDatabase } from "../test/postgres.ts";
import { grantAndMint, seedDemo } from "../test/fixtures.ts";
import { createLogger } from "./log.ts";
import { startGateway, type Gateway } from "./server.ts";

// Fail closed: when Postgres goes away the gateway refuses every call with a clear error — it
// neither forwards unrecorded messages nor crashes — and reports itself not ready.

let t: TestDatabase;
let gateway: Gateway;

beforeAll(async () => {
  t = await createTestDatabase();
  gateway = await startGateway({ databaseUrl: t.url, port: 0, vaultKey: randomBytes(32), log: createLogger({ quiet: true }) });
});
afterAll(async () => {
  await gateway?.close().catch(() => undefined);
  await t?.drop().catch(() => undefined);
});

describe("gateway without its database", () => {
  it("refuses calls with 503 and a clear message, stays alive, and reports not ready", async () => {
    const users = await seedDemo(t.db);
    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/everything`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: "fail-closed", version: "1.0.0" });
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
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(fresh.status).toBe(503);
    expect(((await fresh.json()) as { error: { code: number; message: string } }).error).toMatchObject({ code: -32010, message: expect.stringMatching(/refused until it is back/) });
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    await client.close().catch(() => undefined);
  });
});
