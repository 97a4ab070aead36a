import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { argumentsHash } from "../lib/held-calls/arguments.ts";
import { createHeldCall } from "../lib/held-calls/create-held-call.ts";
import { decideHeldCall } from "../lib/held-calls/decide-held-call.ts";
import { startSession } from "../lib/recording/sessions.ts";
import { createHeldSqlConnection, grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";
import { createLogger } from "./log.ts";
import { type Gateway, type GatewayOptions, startGateway } from "./server.ts";

// Gateway instances on one Postgres: each registers and heartbeats; when one dies without a clean
// shutdown (its heartbeat stops), a live one ends its sessions ("gateway lost") and abandons its
// held calls; a starting gateway leaves live gateways' held calls alone; decided held calls keep
// no raw arguments, and an approved call is still forwarded with exactly the held arguments.

const SECRET = "jane.doe@example.com";
const hashKey = randomBytes(32);
let harness: TestGateway;
let upstream: McpHttpUpstream;
const upstreamCalls: string[] = [];
const extraGateways: Gateway[] = [];

function countingServer(): McpServer {
  const server = new McpServer({ name: "counting", version: "1.0.0" });
  server.registerTool(
    "run_sql",
    { description: "Runs SQL", inputSchema: { sql: z.string(), notify: z.string().optional() } },
    async ({ sql, notify }) => {
      upstreamCalls.push(`run_sql:${sql}:${notify ?? ""}`);
      return { content: [{ type: "text", text: `ran ${sql}` }] };
    },
  );
  return server;
}

async function gateway(options: Partial<GatewayOptions> = {}, logs?: string[]): Promise<Gateway> {
  const started = await startGateway({
    databaseUrl: harness.t.url,
    port: 0,
    vaultKey: harness.vaultKey,
    log: createLogger({ sink: (line) => logs?.push(line) }),
    ...options,
  });
  extraGateways.push(started);
  return started;
}

beforeAll(async () => {
  // Its own periodic sweep out of the way: the tests say which gateway sweeps.
  harness = await startTestGateway({ instanceId: "replica-a", heartbeatMs: 200, lostSweepMs: 600_000 });
  upstream = await startMcpHttpUpstream(countingServer);
  await createHeldSqlConnection(harness, upstream.url, { maskEmails: true });
});
afterAll(async () => {
  for (const started of extraGateways) await started.close().catch(() => undefined);
  await upstream?.close();
  await harness?.stop();
});

async function connect(gatewayUrl: string) {
  const { token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "db" });
  const { transport } = mcpClient(gatewayUrl, token, "db");
  const client = new Client({ name: "instances-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId! };
}

const sql = (text: string) => ({ name: "run_sql", arguments: { sql: text, notify: SECRET } });

function pendingCall(sessionId: string) {
  return waitFor(() => harness.t.db.heldCall.findFirst({ where: { sessionId, status: "PENDING" } }), 5_000);
}

/** The held call's arguments as stored (jsonb as text). */
async function storedArguments(heldCallId: string): Promise<string> {
  const [row] = await harness.t.db.$queryRaw<
    [{ arguments: string }]
  >`SELECT "arguments"::text AS arguments FROM "HeldCall" WHERE "id" = ${heldCallId}`;
  return row.arguments;
}

describe("gateway instances", () => {
  it("registers each gateway with a heartbeat; sessions name the instance that owns them", async () => {
    const row = await harness.t.db.gatewayInstance.findUniqueOrThrow({ where: { id: "replica-a" } });
    expect(row).toMatchObject({ stoppedAt: null, pid: process.pid });
    expect(row.version).toMatch(/^\d+\.\d+\.\d+/);
    await waitFor(async () => {
      const now = await harness.t.db.gatewayInstance.findUniqueOrThrow({ where: { id: "replica-a" } });
      return now.heartbeatAt > row.heartbeatAt;
    }, 3_000);
    const { client, sessionId } = await connect(harness.gateway.url);
    expect((await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).gatewayInstanceId).toBe("replica-a");
    await client.close();
  });

  it("a crashed gateway's sessions end with 'gateway lost' and its held calls are abandoned by a live gateway's sweep", async () => {
    const sweeper = await gateway({ instanceId: "sweeper", heartbeatMs: 200, lostAfterMs: 5_000, lostSweepMs: 300 });
    const crashing = await gateway({ instanceId: "replica-b", heartbeatMs: 200 });
    const { client, sessionId } = await connect(crashing.url);
    upstreamCalls.length = 0;
    const result = client.callTool(sql("drop table orders")).catch((error: Error) => error);
    const held = await pendingCall(sessionId);
    expect(held.gatewayInstance).toBe("replica-b");
    expect(await storedArguments(held.id)).toContain(SECRET); // approvers need them while it is pending

    // The crash: no more heartbeats, no clean shutdown; its last heartbeat is long past.
    crashing.instance.suspend();
    await harness.t.db.$executeRaw`UPDATE "GatewayInstance" SET "heartbeatAt" = "heartbeatAt" - interval '1 hour' WHERE "id" = 'replica-b'`;
    const ended = await waitFor(async () => {
      const row = await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } });
      return row.endedAt ? row : null;
    }, 3_000);
    expect(ended).toMatchObject({ endReason: "gateway lost", gatewayInstanceId: "replica-b" });
    // The chain head is the newest stored event (at least the held request).
    const head = await harness.t.db.sessionEvent.findUniqueOrThrow({ where: { sessionId_seq: { sessionId, seq: ended.lastSeq! } } });
    expect(head.hash).toBe(ended.lastHash);
    const abandoned = await waitFor(async () => {
      const row = await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: held.id } });
      return row.status === "ABANDONED" ? row : null;
    }, 3_000);
    expect(abandoned.endReason).toBe("the gateway holding it was lost");
    expect(await storedArguments(held.id)).not.toContain(SECRET);
    expect((await harness.t.db.auditEvent.findMany({ where: { targetId: held.id } })).map((event) => event.action)).toContain(
      "held_call.abandoned",
    );
    expect((await harness.t.db.gatewayInstance.findUniqueOrThrow({ where: { id: "replica-b" } })).stoppedAt).not.toBeNull();
    // The live gateways' own rows were left alone.
    expect((await harness.t.db.gatewayInstance.findUniqueOrThrow({ where: { id: "replica-a" } })).stoppedAt).toBeNull();
    await expect(
      decideHeldCall(harness.t.db, { actor: harness.users.bob, heldCallId: held.id, decision: "APPROVE", hashKey }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(upstreamCalls).toEqual([]);

    // Had it only stalled, its next heartbeat finds it was declared lost: it closes its sessions and registers again.
    await crashing.instance.heartbeat();
    expect(crashing.registry.size).toBe(0);
    expect((await harness.t.db.gatewayInstance.findUniqueOrThrow({ where: { id: "replica-b" } })).stoppedAt).toBeNull();
    expect(await result).toBeInstanceOf(Error);
    await client.close().catch(() => undefined);
    await sweeper.close();
    expect((await harness.t.db.gatewayInstance.findUniqueOrThrow({ where: { id: "sweeper" } })).stoppedAt).not.toBeNull();
  }, 30_000);

  it("a starting gateway leaves a live gateway's held call alone; approved, it is forwarded with the held arguments, which the row no longer keeps", async () => {
    const { client, transport, sessionId } = await connect(harness.gateway.url);
    upstreamCalls.length = 0;
    const result = client.callTool(sql("vacuum orders"));
    const held = await pendingCall(sessionId);
    await gateway(); // no GATEWAY_INSTANCE_ID: a random id
    expect((await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: held.id } })).status).toBe("PENDING");
    await decideHeldCall(harness.t.db, { actor: harness.users.bob, heldCallId: held.id, decision: "APPROVE", hashKey });
    expect(await result).toMatchObject({ content: [{ type: "text", text: "ran vacuum orders" }] });
    expect(upstreamCalls).toEqual([`run_sql:vacuum orders:${SECRET}`]);
    // Decided: the stored params are the recording's masked ones.
    const stored = await storedArguments(held.id);
    expect(stored).not.toContain(SECRET);
    expect(JSON.parse(stored)).toEqual({ name: "run_sql", arguments: { sql: "vacuum orders", notify: "[REDACTED:email]" } });
    const [{ raw }] = await harness.t.db.$queryRaw<[{ raw: bigint }]>`
      SELECT count(*) AS raw FROM "HeldCall" WHERE "status" <> 'PENDING' AND "arguments"::text LIKE ${`%${SECRET}%`}`;
    expect(Number(raw)).toBe(0);
    await transport.terminateSession();
    await client.close();
  }, 30_000);

  it("a starting gateway ends what stale instances left open at once, and leaves live and unknown instances' calls alone", async () => {
    const { grantId } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "db" });
    const connectionId = (await harness.t.db.connection.findUniqueOrThrow({ where: { slug: "db" } })).id;
    await harness.t.db.$executeRaw`INSERT INTO "GatewayInstance" ("id", "startedAt", "heartbeatAt", "hostname", "pid", "version") VALUES
      ('old-run', now() AT TIME ZONE 'UTC' - interval '2 hours', now() AT TIME ZONE 'UTC' - interval '10 minutes', 'elsewhere', 4242, '0.0.1'),
      ('fresh-other', now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC', 'elsewhere', 4243, '0.0.1')`;
    const session = (instance: string) =>
      startSession(harness.t.db, {
        grantId,
        userId: harness.users.alice.id,
        connectionId,
        transport: "streamable-http",
        gatewayInstanceId: instance,
      });
    const [oldSession, freshSession] = [await session("old-run"), await session("fresh-other")];
    const heldIn = (sessionId: string, gatewayInstance: string) =>
      createHeldCall(harness.t.db, {
        callerId: harness.users.alice.id,
        sessionId,
        connectionId,
        rpcId: 1,
        method: "tools/call",
        tool: "run_sql",
        arguments: sql("x"),
        argumentsHash: argumentsHash(sql("x")),
        rule: { id: "ask-sql", scope: "connection" },
        deadline: new Date(Date.now() + 60_000),
        gatewayInstance,
      });
    const oldCall = await heldIn(oldSession, "old-run");
    const freshCall = await heldIn(freshSession, "fresh-other");
    const unknownCall = await heldIn(freshSession, "never-registered");

    const logs: string[] = [];
    await gateway({ instanceId: "starting" }, logs);
    // Done by the start itself, before it serves (its periodic sweep is 30 s away).
    expect(await harness.t.db.session.findUniqueOrThrow({ where: { id: oldSession } })).toMatchObject({ endReason: "gateway lost" });
    expect((await harness.t.db.session.findUniqueOrThrow({ where: { id: freshSession } })).endedAt).toBeNull();
    expect(await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: oldCall.id } })).toMatchObject({ status: "ABANDONED" });
    expect((await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: freshCall.id } })).status).toBe("PENDING");
    // An instance never registered (rows from before instances were recorded): left to its deadline.
    expect((await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: unknownCall.id } })).status).toBe("PENDING");
    expect(logs.some((line) => line.includes("lost gateway instances cleaned up") && line.includes("old-run"))).toBe(true);
    await harness.t.db.heldCall.updateMany({ where: { id: { in: [freshCall.id, unknownCall.id] } }, data: { status: "CANCELLED" } });
  }, 30_000);

  it("a replica restarted with the same GATEWAY_INSTANCE_ID ends its previous run's sessions at once", async () => {
    const { grantId } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "db" });
    const connectionId = (await harness.t.db.connection.findUniqueOrThrow({ where: { slug: "db" } })).id;
    const previous = await startSession(harness.t.db, {
      grantId,
      userId: harness.users.alice.id,
      connectionId,
      transport: "streamable-http",
      gatewayInstanceId: "pod-7",
    });
    const restarted = await gateway({ instanceId: "pod-7" });
    expect(await harness.t.db.session.findUniqueOrThrow({ where: { id: previous } })).toMatchObject({
      endReason: "gateway restarted",
      lastSeq: 0,
    });
    // Its new sessions are its own, and live.
    const { client, sessionId } = await connect(restarted.url);
    expect(await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).toMatchObject({
      gatewayInstanceId: "pod-7",
      endedAt: null,
    });
    await client.close();
  }, 30_000);
});
