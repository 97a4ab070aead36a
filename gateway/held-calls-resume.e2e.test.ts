import { randomBytes } from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createDb } from "../lib/db/client.ts";
import { decideHeldCall } from "../lib/held-calls/decide-held-call.ts";
import { createHeldSqlConnection, grantAndMint } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// A held call and a lost POST stream (2025-11-25): a disconnect is not a cancellation. A raw client
// POSTs a held tools/call, reads the priming event's id and drops the stream; the call stays held.
// Approved meanwhile, its answer waits in that stream's replay buffer, and GET + Last-Event-ID gets
// it. A client that never comes back is gone once the session ends (`client went away`): the held
// call is cancelled then, and never forwarded. Older revisions (no priming event, nothing to resume
// from) keep the old rule, a lost stream cancels the hold (gateway/held-calls.e2e.test.ts).

const GONE_MS = 3000;
let harness: TestGateway;
let upstream: McpHttpUpstream;
let portalDb: ReturnType<typeof createDb>;
const hashKey = randomBytes(32);
const upstreamCalls: string[] = [];

function countingServer(): McpServer {
  const server = new McpServer({ name: "counting", version: "1.0.0" });
  server.registerTool("run_sql", { description: "Runs SQL", inputSchema: { sql: z.string() } }, async ({ sql }) => {
    upstreamCalls.push(sql);
    return { content: [{ type: "text", text: `ran ${sql}` }] };
  });
  return server;
}

beforeAll(async () => {
  harness = await startTestGateway({ sessionGoneMs: GONE_MS, holdPollMs: 60_000 });
  portalDb = createDb(harness.t.url);
  upstream = await startMcpHttpUpstream(countingServer);
  await createHeldSqlConnection(harness, upstream.url);
});
afterAll(async () => {
  await portalDb?.$disconnect();
  await upstream?.close();
  await harness?.stop();
});

/** A raw 2025-11-25 client session on `db`: no GET stream, so a dropped POST stream leaves nothing open. */
async function rawSession() {
  const { token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "db" });
  const url = `${harness.gateway.url}/mcp/db`;
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const init = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw-resume", version: "1" } },
    }),
  });
  expect(init.status).toBe(200);
  await init.text();
  const sessionId = init.headers.get("mcp-session-id")!;
  Object.assign(headers, { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" });
  const initialized = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  expect(initialized.status).toBe(202);
  return { url, headers, sessionId };
}

/** POSTs a held tools/call, reads its stream up to the priming event, and drops the stream. Returns the event id. */
async function postAndDrop(session: { url: string; headers: Record<string, string> }, id: number, sql: string): Promise<string> {
  const drop = new AbortController();
  const response = await fetch(session.url, {
    method: "POST",
    signal: drop.signal,
    headers: session.headers,
    body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "run_sql", arguments: { sql } } }),
  });
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  const reader = response.body!.getReader();
  let text = "";
  while (!/^id: (\S+)$/m.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before its priming event: ${text}`);
    text += Buffer.from(value).toString("utf8");
  }
  drop.abort();
  return /^id: (\S+)$/m.exec(text)![1]!;
}

function pendingCall(sessionId: string) {
  return waitFor(() => harness.t.db.heldCall.findFirst({ where: { sessionId, status: "PENDING" }, orderBy: { createdAt: "desc" } }), 5000);
}

const rowOf = (id: string) => harness.t.db.heldCall.findUniqueOrThrow({ where: { id } });

/** The JSON-RPC messages of an SSE body. */
function messagesOf(body: string): Array<{ id?: unknown; result?: unknown; error?: unknown }> {
  return body
    .split("\n\n")
    .map((event) =>
      event
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => line.slice(6))
        .join(""),
    )
    .filter((data) => data.trim() !== "")
    .map((data) => JSON.parse(data));
}

describe("a held call whose client loses its POST stream (2025-11-25)", () => {
  it("stays held; approved meanwhile, its answer is replayed to GET + Last-Event-ID", async () => {
    const session = await rawSession();
    upstreamCalls.length = 0;
    const eventId = await postAndDrop(session, 11, "vacuum full");
    const held = await pendingCall(session.sessionId);
    // Well past the moment the stream closed: still held, not cancelled.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await rowOf(held.id)).status).toBe("PENDING");

    await decideHeldCall(portalDb, { actor: harness.users.bob, heldCallId: held.id, decision: "APPROVE", hashKey });
    await waitFor(() => upstreamCalls.includes("vacuum full"));
    const resumed = await fetch(session.url, {
      method: "GET",
      headers: { ...session.headers, "last-event-id": eventId },
    });
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get("content-type")).toContain("text/event-stream");
    // The stream's requests are all answered: the replay ends with the answer.
    const messages = messagesOf(await resumed.text());
    expect(messages).toEqual([{ jsonrpc: "2.0", id: 11, result: { content: [{ type: "text", text: "ran vacuum full" }] } }]);
    expect(upstreamCalls).toEqual(["vacuum full"]);
    expect((await rowOf(held.id)).status).toBe("APPROVED");
    await fetch(session.url, { method: "DELETE", headers: session.headers });
  });

  it("resumed before the decision: the answer arrives live on the resumed stream", async () => {
    const session = await rawSession();
    upstreamCalls.length = 0;
    const eventId = await postAndDrop(session, 12, "analyze");
    const held = await pendingCall(session.sessionId);
    const resumed = await fetch(session.url, { method: "GET", headers: { ...session.headers, "last-event-id": eventId } });
    expect(resumed.status).toBe(200);
    const body = resumed.text();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await decideHeldCall(portalDb, { actor: harness.users.bob, heldCallId: held.id, decision: "DENY", comment: "not now", hashKey });
    const messages = messagesOf(await body);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: 12, error: { code: -32030, message: expect.stringContaining("not now") } });
    expect(upstreamCalls).toEqual([]);
    await fetch(session.url, { method: "DELETE", headers: session.headers });
  });

  it("a client that never comes back: the session ends (client went away) and the held call is cancelled, never forwarded", async () => {
    const session = await rawSession();
    upstreamCalls.length = 0;
    await postAndDrop(session, 13, "drop table audit");
    const held = await pendingCall(session.sessionId);
    const ended = await waitFor(async () => {
      const row = await rowOf(held.id);
      return row.status !== "PENDING" && row;
    }, GONE_MS + 5000);
    expect(ended).toMatchObject({ status: "CANCELLED", endReason: "client went away" });
    await expect(
      decideHeldCall(portalDb, { actor: harness.users.bob, heldCallId: held.id, decision: "APPROVE", hashKey }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const row = await waitFor(async () => {
      const current = await harness.t.db.session.findUniqueOrThrow({ where: { id: session.sessionId } });
      return current.endReason !== null && current;
    });
    expect(row.endReason).toBe("client went away");
    expect(upstreamCalls).toEqual([]);
  });

  it("a notifications/cancelled while the stream is lost still cancels the hold", async () => {
    const session = await rawSession();
    await postAndDrop(session, 14, "reindex");
    const held = await pendingCall(session.sessionId);
    const cancel = await fetch(session.url, {
      method: "POST",
      headers: session.headers,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 14, reason: "never mind" } }),
    });
    expect(cancel.status).toBe(202);
    const row = await waitFor(async () => {
      const current = await rowOf(held.id);
      return current.status !== "PENDING" && current;
    });
    expect(row).toMatchObject({ status: "CANCELLED", endReason: "the client cancelled it" });
    await fetch(session.url, { method: "DELETE", headers: session.headers });
  });
});
