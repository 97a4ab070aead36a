import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import type { TestDatabase } from "../test/postgres.ts";
import type { Gateway } from "./server.ts";

// Explicit time limits: a call the upstream does not answer in time gets an error and is
// cancelled upstream; a session nobody uses is ended and its stdio child stopped.

let harness: TestGateway;
let t: TestDatabase;
let gateway: Gateway;
let token: string;

beforeAll(async () => {
  harness = await startTestGateway({ requestTimeoutMs: 800, sessionIdleMs: 1500 });
  ({ t, gateway } = harness);
  ({ token } = await grantAndMint(t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "everything" }));
});
afterAll(async () => harness?.stop());

const connect = () => mcpClient(gateway.url, token);

describe("gateway time limits", () => {
  it("answers a call the upstream is too slow for, cancels it upstream, and the session goes on", async () => {
    const { client, transport } = connect();
    await client.connect(transport);
    await expect(client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 3, steps: 3 } })).rejects.toThrow(
      /did not answer within 1 s/,
    );
    expect(await client.callTool({ name: "echo", arguments: { message: "still here" } })).toMatchObject({
      content: [{ text: "Echo: still here" }],
    });
    const metrics = await gateway.metrics.render();
    expect(metrics).toContain(
      'tollgate_gateway_request_duration_seconds_count{connection="everything",method="tools/call",outcome="timeout"} 1',
    );
    expect(metrics).toContain('tollgate_gateway_refusals_total{reason="UPSTREAM_TIMEOUT"} 1');
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
    await expect.poll(() => gateway.registry.get(sessionId), { timeout: 6000 }).toBeUndefined();
    await expect
      .poll(async () => (await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason, { timeout: 6000 })
      .toBe("idle timeout");
  });
});
