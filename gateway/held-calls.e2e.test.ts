import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Actor } from "../lib/authz/permissions.ts";
import { createDb } from "../lib/db/client.ts";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { argumentsHash } from "../lib/held-calls/arguments.ts";
import { createHeldCall } from "../lib/held-calls/create-held-call.ts";
import { decideHeldCall } from "../lib/held-calls/decide-held-call.ts";
import { createHeldSqlConnection, grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";
import { createLogger } from "./log.ts";
import { type Gateway, startGateway } from "./server.ts";

// Held calls end to end: the official SDK client → gateway → a real SDK MCP server over HTTP that
// counts what reaches it. A require-approval call waits at the gateway until an approver decides
// (through the lib action on its own database connection, or from another process), its deadline
// passes, or the client, the session or the grant ends it; it reaches the upstream only approved,
// exactly as held, once.

const ROOT = path.resolve(import.meta.dirname, "..");
const SECRET = "jane.doe@example.com";
let harness: TestGateway;
let upstream: McpHttpUpstream;
let webhook: Server;
const webhookBodies: string[] = [];
const upstreamCalls: string[] = [];
const hashKey = randomBytes(32);
/** An approver acting on its own database connection, as the portal would. */
let portalDb: ReturnType<typeof createDb>;
const extraGateways: Gateway[] = [];

function countingServer(): McpServer {
  const server = new McpServer({ name: "counting", version: "1.0.0" });
  server.registerTool("echo", { description: "Echoes", inputSchema: { message: z.string() } }, async ({ message }) => {
    upstreamCalls.push(`echo:${message}`);
    return { content: [{ type: "text", text: message }] };
  });
  server.registerTool(
    "run_sql",
    { description: "Runs SQL", inputSchema: { sql: z.string(), notify: z.string().optional() } },
    async ({ sql }) => {
      upstreamCalls.push(`run_sql:${sql}`);
      return { content: [{ type: "text", text: `ran ${sql}` }] };
    },
  );
  return server;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

beforeAll(async () => {
  webhook = createServer(async (req, res) => {
    webhookBodies.push(await readBody(req));
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((resolve) => webhook.listen(0, "127.0.0.1", resolve));
  harness = await startTestGateway({
    // Decisions must arrive by NOTIFY: the fallback poll is too slow to explain a fast wake-up.
    holdPollMs: 60_000,
    holdProgressMs: 200,
    webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
    portalUrl: "https://tollgate.example.com",
  });
  portalDb = createDb(harness.t.url);
  upstream = await startMcpHttpUpstream(countingServer);
  await createHeldSqlConnection(harness, upstream.url, { maskEmails: true });
});
afterAll(async () => {
  for (const gateway of extraGateways) await gateway.close().catch(() => undefined);
  await portalDb?.$disconnect();
  await upstream?.close();
  webhook?.closeAllConnections();
  await new Promise((resolve) => webhook?.close(resolve));
  await harness?.stop();
});

async function connect(gatewayUrl = harness.gateway.url) {
  const { token, grantId } = await grantAndMint(harness.t.db, {
    requester: harness.users.alice,
    approver: harness.users.bob,
    connection: "db",
  });
  const { transport } = mcpClient(gatewayUrl, token, "db");
  const client = new Client({ name: "held-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, token, grantId, sessionId: transport.sessionId! };
}

/** The pending held call of a session, once the gateway has created it. */
function pendingCall(sessionId: string, ms = 5_000) {
  return waitFor(() => harness.t.db.heldCall.findFirst({ where: { sessionId, status: "PENDING" }, orderBy: { createdAt: "desc" } }), ms);
}

const decide = (
  actor: Actor,
  heldCallId: string,
  decision: "APPROVE" | "DENY",
  extra: { comment?: string; scope?: "call" | "session" } = {},
) => decideHeldCall(portalDb, { actor, heldCallId, decision, hashKey, ...extra });

const sql = (text: string, extra: Record<string, unknown> = {}) => ({ name: "run_sql", arguments: { sql: text, ...extra } });

describe("a held call", () => {
  it("waits, with progress notifications, and once approved reaches the upstream exactly once with the held arguments, within a second of the decision", async () => {
    const { client, transport, sessionId } = await connect();
    upstreamCalls.length = 0;
    webhookBodies.length = 0;
    const progress: Progress[] = [];
    const result = client.callTool(sql("delete from carts", { notify: SECRET }), undefined, {
      onprogress: (update) => progress.push(update),
      resetTimeoutOnProgress: true,
    });
    const held = await pendingCall(sessionId);
    expect(held).toMatchObject({ method: "tools/call", tool: "run_sql", ruleId: "ask-sql", userId: harness.users.alice.id });
    expect(held.argumentsHash).toBe(argumentsHash(sql("delete from carts", { notify: SECRET })));
    expect(held.deadline.getTime() - held.createdAt.getTime()).toBeGreaterThan(4.9 * 60_000); // the 5-minute default
    await waitFor(() => progress.length >= 2);
    expect(progress[0]!.message).toContain(held.id);
    expect(progress[1]!.progress).toBeGreaterThan(progress[0]!.progress);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(upstreamCalls).toEqual([]);

    // The webhook announced it, with a deep link and without argument values.
    await waitFor(() => webhookBodies.length > 0);
    const announced = JSON.parse(webhookBodies[0]!) as { text: string };
    expect(announced.text).toContain(`https://tollgate.example.com/approvals?heldCall=${held.id}`);
    expect(announced.text).toContain("alice@example.com called `run_sql`");
    expect(webhookBodies[0]).not.toContain(SECRET);
    expect(webhookBodies[0]).not.toContain("delete from carts");

    const decided = Date.now();
    await decide(harness.users.bob, held.id, "APPROVE", { comment: "go ahead" });
    await waitFor(() => upstreamCalls.length > 0, 2_000);
    expect(Date.now() - decided).toBeLessThan(1_000);
    expect(await result).toMatchObject({ content: [{ type: "text", text: "ran delete from carts" }] });
    expect(upstreamCalls).toEqual(["run_sql:delete from carts"]);

    // The recording: the request (masked, require-approval), then the approved forward.
    await transport.terminateSession();
    await client.close();
    const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId, tool: "run_sql" }, orderBy: { seq: "asc" } });
    expect(events.map((event) => [event.direction, event.decision])).toEqual([
      ["CLIENT_TO_UPSTREAM", "require-approval"],
      ["GATEWAY_TO_UPSTREAM", "approved"],
    ]);
    expect(JSON.stringify(events.map((event) => event.payload))).not.toContain(SECRET);
  });

  it("denied: the client gets an error naming the approver and the comment, and the upstream never sees the call", async () => {
    const { client, transport, sessionId } = await connect();
    upstreamCalls.length = 0;
    const progress: Progress[] = [];
    client.setNotificationHandler(z.object({ method: z.literal("notifications/progress") }).passthrough() as never, async (n: unknown) => {
      progress.push(n as Progress);
    });
    // No progress token: no progress notifications, the SSE stream's keep-alive comments only.
    const result = expect(client.callTool(sql("drop table users"))).rejects.toMatchObject({
      code: -32030,
      message: expect.stringMatching(/bob@example\.com denied this call: "not during the freeze"/),
    });
    const held = await pendingCall(sessionId);
    await decide(harness.users.bob, held.id, "DENY", { comment: "not during the freeze" });
    await result;
    expect(upstreamCalls).toEqual([]);
    expect(progress).toEqual([]);
    await transport.terminateSession();
    await client.close();
    const answer = await harness.t.db.sessionEvent.findFirst({ where: { sessionId, direction: "GATEWAY_TO_CLIENT", kind: "error" } });
    expect(answer?.decision).toBe("denied");
  });

  it("a changed argument is a new held call; an approval for the session lets identical calls through without a new hold", async () => {
    const { client, transport, sessionId } = await connect();
    upstreamCalls.length = 0;
    const first = client.callTool(sql("select 1"));
    const held = await pendingCall(sessionId);
    await decide(harness.users.bob, held.id, "APPROVE", { scope: "session" });
    await first;
    // Identical (same tool, same arguments, whatever the progress token): passes at once.
    await client.callTool(sql("select 1"), undefined, { onprogress: () => undefined });
    expect(upstreamCalls).toEqual(["run_sql:select 1", "run_sql:select 1"]);
    expect(await harness.t.db.heldCall.count({ where: { sessionId } })).toBe(1);
    // Any other argument: a new hold.
    const changed = client.callTool(sql("select 2"));
    const second = await pendingCall(sessionId);
    expect(second.id).not.toBe(held.id);
    expect(second.argumentsHash).not.toBe(held.argumentsHash);
    await decide(harness.users.carol, second.id, "APPROVE");
    await changed;
    // Approved for this call only: the same call again is held again.
    // The assertion is attached before the decision, so the rejection is never unhandled for a moment.
    const again = expect(client.callTool(sql("select 2"))).rejects.toMatchObject({ code: -32030 });
    const third = await pendingCall(sessionId);
    await decide(harness.users.carol, third.id, "DENY");
    await again;
    expect(upstreamCalls).toEqual(["run_sql:select 1", "run_sql:select 1", "run_sql:select 2"]);
    const decisions = (await harness.t.db.sessionEvent.findMany({ where: { sessionId, tool: "run_sql" }, orderBy: { seq: "asc" } })).map(
      (event) => `${event.direction} ${event.decision}`,
    );
    expect(decisions.slice(0, 3)).toEqual([
      "CLIENT_TO_UPSTREAM require-approval",
      "GATEWAY_TO_UPSTREAM approved-for-session",
      "CLIENT_TO_UPSTREAM approved-for-session",
    ]);
    const audit = await harness.t.db.auditEvent.findFirstOrThrow({ where: { targetId: held.id, action: "held_call.approved" } });
    expect(audit.data).toMatchObject({ scope: "session" });
    await transport.terminateSession();
    await client.close();
  });

  it("the client cancels (notifications/cancelled, or by closing its stream): the row is CANCELLED and nothing is forwarded", async () => {
    const { client, transport, sessionId, token } = await connect();
    upstreamCalls.length = 0;
    const abort = new AbortController();
    const result = client.callTool(sql("truncate logs"), undefined, { signal: abort.signal });
    const held = await pendingCall(sessionId);
    abort.abort("changed my mind");
    await expect(result).rejects.toThrow();
    const cancelled = await waitFor(async () => {
      const row = await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: held.id } });
      return row.status === "CANCELLED" && row;
    });
    expect(cancelled.endReason).toBe("the client cancelled it");

    // A raw client of a revision before 2025-11-25 (no priming event: nothing to resume from) that drops the POST's SSE stream.
    const drop = new AbortController();
    const url = `${harness.gateway.url}/mcp/db`;
    const response = await fetch(url, {
      method: "POST",
      signal: drop.signal,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 99, method: "tools/call", params: sql("truncate audit") }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const dropped = await pendingCall(sessionId);
    drop.abort();
    const closed = await waitFor(async () => {
      const row = await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: dropped.id } });
      return row.status === "CANCELLED" && row;
    });
    expect(closed.endReason).toBe("the client closed its stream");
    await expect(decide(harness.users.bob, dropped.id, "APPROVE")).rejects.toMatchObject({ code: "CONFLICT" });
    expect(upstreamCalls).toEqual([]);
    await transport.terminateSession();
    await client.close();
  });

  it("the grant is revoked while the call is held: the usual grant error, the row CANCELLED", async () => {
    const { client, sessionId, grantId } = await connect();
    upstreamCalls.length = 0;
    const result = expect(client.callTool(sql("vacuum"))).rejects.toMatchObject({
      code: -32014,
      message: expect.stringMatching(/revoked while the call waited for approval/),
    });
    const held = await pendingCall(sessionId);
    await revokeGrant(harness.t.db, { actor: harness.users.bob, grantId, reason: "incident over" });
    await result;
    const row = await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: held.id } });
    expect(row).toMatchObject({ status: "CANCELLED", endReason: "grant revoked" });
    expect(upstreamCalls).toEqual([]);
    await client.close();
  });

  it("an approval taken in another process reaches the holding gateway within a second", async () => {
    const { client, transport, sessionId } = await connect();
    upstreamCalls.length = 0;
    const result = client.callTool(sql("analyze"));
    const held = await pendingCall(sessionId);
    const script = `
      import { createDb } from "./lib/db/client.ts";
      import { decideHeldCall } from "./lib/held-calls/decide-held-call.ts";
      const db = createDb(process.env.DATABASE_URL);
      const actor = JSON.parse(process.env.ACTOR);
      await decideHeldCall(db, { actor, heldCallId: process.env.HELD, decision: "APPROVE", comment: "from afar", hashKey: new Uint8Array(32) });
      console.log(Date.now());
      await db.$disconnect();`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: harness.t.url, ACTOR: JSON.stringify(harness.users.bob), HELD: held.id },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, err).toBe(0);
    const decidedAt = Number(out.trim().split("\n").pop());
    await waitFor(() => upstreamCalls.length > 0, 2_000);
    expect(Date.now() - decidedAt).toBeLessThan(1_000);
    expect(await result).toMatchObject({ content: [{ type: "text", text: "ran analyze" }] });
    await transport.terminateSession();
    await client.close();
  }, 30_000);
});

describe("held calls and the gateway's limits", () => {
  it("times out at the deadline with a clear error; the row is EXPIRED and can no longer be approved", async () => {
    const short = await startGateway({
      databaseUrl: harness.t.url,
      port: 0,
      vaultKey: harness.vaultKey,
      instanceId: "short-holds",
      maxHoldMs: 1_500,
      log: createLogger({ sink: () => undefined }),
    });
    extraGateways.push(short);
    const { client, transport, sessionId } = await connect(short.url);
    upstreamCalls.length = 0;
    const started = Date.now();
    await expect(client.callTool(sql("reindex"))).rejects.toMatchObject({
      code: -32031,
      message: expect.stringMatching(/No approver decided within 2 s \(held call \w+\), so the call was not forwarded/),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    const row = await harness.t.db.heldCall.findFirstOrThrow({ where: { sessionId } });
    expect(row.status).toBe("EXPIRED");
    await expect(decide(harness.users.bob, row.id, "APPROVE")).rejects.toMatchObject({ code: "CONFLICT" });
    expect(upstreamCalls).toEqual([]);
    await transport.terminateSession();
    await client.close();
  });

  it("a restart abandons what the previous run held: never approved later; a shutdown ends its holds the same way", async () => {
    // What a crashed gateway "crashed-1" left behind, and a live call of another replica.
    const { sessionId } = await connect();
    const orphan = {
      callerId: harness.users.alice.id,
      sessionId,
      connectionId: (await harness.t.db.connection.findUniqueOrThrow({ where: { slug: "db" } })).id,
      rpcId: 1,
      method: "tools/call",
      tool: "run_sql",
      arguments: sql("x"),
      argumentsHash: argumentsHash(sql("x")),
      rule: { id: "ask-sql", scope: "connection" as const },
      deadline: new Date(Date.now() + 60_000),
    };
    const crashed = await createHeldCall(harness.t.db, { ...orphan, gatewayInstance: "crashed-1" });
    const other = await createHeldCall(harness.t.db, { ...orphan, gatewayInstance: "other-replica" });
    const restarted = await startGateway({
      databaseUrl: harness.t.url,
      port: 0,
      vaultKey: harness.vaultKey,
      instanceId: "crashed-1",
      log: createLogger({ sink: () => undefined }),
    });
    extraGateways.push(restarted);
    expect(await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: crashed.id } })).toMatchObject({
      status: "ABANDONED",
      endReason: "the gateway holding it restarted",
    });
    expect((await harness.t.db.heldCall.findUniqueOrThrow({ where: { id: other.id } })).status).toBe("PENDING");
    await expect(decide(harness.users.bob, crashed.id, "APPROVE")).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/already abandoned/),
    });
    await harness.t.db.heldCall.update({ where: { id: other.id }, data: { status: "CANCELLED" } });

    // A graceful shutdown answers the held client and abandons the row.
    const { client } = await connect(restarted.url);
    const result = client.callTool(sql("cluster"));
    const session = await waitFor(() => restarted.registry.size > 0 && restarted.heldCalls.size > 0);
    expect(session).toBe(true);
    const answered = expect(result).rejects.toMatchObject({ code: -32032, message: expect.stringMatching(/gateway shutting down/) });
    await restarted.close();
    await answered;
    const row = await harness.t.db.heldCall.findFirstOrThrow({ where: { gatewayInstance: "crashed-1", id: { not: crashed.id } } });
    expect(row.status).toBe("ABANDONED");
    await client.close();
  });
});
