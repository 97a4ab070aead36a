import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/postgres.ts";
import { grantAndMint, seedDemo } from "../test/fixtures.ts";
import { createLogger } from "./log.ts";
import { startGateway, type Gateway } from "./server.ts";

// Explicit time limits: a call the upstream does not answer in time gets an error and is
// cancelled upstream; a session nobody uses is ended and its stdio child stopped.

let t: TestDatabase;
let gateway: Gateway;
let token: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const users = await seedDemo(t.db);
  gateway = await startGateway({ databaseUrl: t.url, port: 0, vaultKey: randomBytes(32), requestTimeoutMs: 800, sessionIdleMs: 1500, log: createLogger({ quiet: true }) });
  ({ token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" }));
});
afterAll(async () => {
  await gateway?.close();
  await t?.drop();
});

function connect() {
  const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/everything`), { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  return { client: new Client({ name: "timeouts", version: "1.0.0" }), transport };
}

describe("gateway time limits", () => {
  it("answers a call the upstream is too slow for, cancels it upstream, and the session goes on", async () => {
    const { client, transport } = connect();
    await client.connect(transport);
    await expect(client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 3, steps: 3 } })).rejects.toThrow(/did not answer within 1 s/);
    expect(await client.callTool({ name: "echo", arguments: { message: "still here" } })).toMatchObject({ content: [{ text: "Echo: still here" }] });
    const events = await t.db.sessionEvent.findMany({ where: { sessionId: transport.sessionId! }, orderBy: { seq: "asc" } });
    const call = events.find((e) => e.tool === "trigger-long-running-operation")!;
    expect(events.find((e) => e.direction === "GATEWAY_TO_CLIENT" && e.rpcId === call.rpcId)).toBeTruthy();
    expect(events.find((e) => e.direction === "GATEWAY_TO_UPSTREAM")).toMatchObject({ method: "notifications/cancelled" });
    await transport.terminateSession();
    await client.close();
  });

  it("keeps a quiet session while the client holds its stream open, and ends it once the client is gone", async () => {
    const { client, transport } = connect();
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    // The SDK client keeps a GET stream open: a quiet but connected client is not idle.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await client.callTool({ name: "echo", arguments: { message: "quiet" } })).toMatchObject({ content: [{ text: "Echo: quiet" }] });
    // Vanish without DELETE: the stream closes, and after the idle limit the session ends.
    await client.close();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(gateway.registry.get(sessionId)).toBeUndefined();
    expect((await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason).toBe("idle timeout");
  });
});
