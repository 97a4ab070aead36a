import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { LIVE_CHANNELS } from "../lib/events/channels.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import { listSessionEvents } from "../lib/recording/sessions.ts";
import { verifySession } from "../lib/recording/verify-session.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { waitFor } from "../test/wait-for.ts";

// What the gateway captures for replay, end to end: each message as the client sent it (key order
// included, after masking), each response paired with its request, the chain head of an open
// session checkpointed, and every session ended (with its reason) when the gateway shuts down.

let harness: TestGateway;

beforeAll(async () => {
  // A client that hangs up its stream without DELETE is gone after 500 ms here (30 s by default).
  harness = await startTestGateway({ sessionGoneMs: 500 });
});
afterAll(async () => harness?.stop());

const token = async () =>
  (await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "everything" })).token;

/** A raw Streamable HTTP client: sends exactly the text given. */
async function post(bearer: string, body: string, sessionId?: string): Promise<{ sessionId: string | null; text: string }> {
  const response = await fetch(`${harness.gateway.url}/mcp/everything`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${bearer}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...(sessionId ? { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" } : {}),
    },
    body,
  });
  return { sessionId: response.headers.get("mcp-session-id"), text: await response.text() };
}

describe("capture", () => {
  it("keeps a masked message's key order from the wire to the events API, and pairs each response with its request", async () => {
    await savePolicy(harness.t.db, {
      actor: harness.users.carol,
      target: { kind: "connection", slug: "everything" },
      document: { default: "allow", rules: [{ kind: "mask", id: "alpha", keys: ["alpha"], style: "redact" }] },
    });
    const bearer = await token();
    const initialize = await post(
      bearer,
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}',
    );
    const sessionId = initialize.sessionId!;
    expect(sessionId).toBeTruthy();
    await post(bearer, '{"jsonrpc":"2.0","method":"notifications/initialized"}', sessionId);
    const sent = '{"jsonrpc":"2.0","id":"call-1","method":"tools/call","params":{"name":"echo","arguments":{"zeta":1,"alpha":2}}}';
    await post(bearer, sent, sessionId);

    const events = await waitFor(async () => {
      const all = await listSessionEvents(harness.t.db, { actor: harness.users.alice, sessionId });
      return all.some((event) => event.replyToSeq !== null && event.rpcId === "call-1") ? all : null;
    });
    const call = events.find((event) => event.method === "tools/call")!;
    // Masked (the alpha rule), and every level in the order it was sent.
    const payload = call.payload as { params: { arguments: Record<string, unknown> } };
    expect(Object.keys(call.payload as object)).toEqual(["jsonrpc", "id", "method", "params"]);
    expect(Object.keys(payload.params)).toEqual(["name", "arguments"]);
    expect(Object.keys(payload.params.arguments)).toEqual(["zeta", "alpha"]);
    expect(payload.params.arguments.alpha).not.toBe(2);
    expect(call.masked).toEqual({ "key:alpha": 1 });
    const raw = await harness.t.db.sessionEvent.findFirstOrThrow({ where: { sessionId, seq: call.seq }, select: { raw: true } });
    expect(raw.raw).toBe(sent.replace('"alpha":2', `"alpha":${JSON.stringify(payload.params.arguments.alpha)}`));

    // initialize ↔ its result, the call ↔ its answer; latency in ms.
    const init = events.find((event) => event.method === "initialize")!;
    const initResult = events.find((event) => event.replyToSeq === init.seq)!;
    expect(initResult).toMatchObject({ direction: "UPSTREAM_TO_CLIENT", rpcId: "1" });
    const answer = events.find((event) => event.replyToSeq === call.seq)!;
    expect(answer.rpcId).toBe("call-1");
    expect(answer.latencyMs).toBeGreaterThan(0);
    expect(events.filter((event) => event.kind === "notification").every((event) => event.replyToSeq === null)).toBe(true);
    await savePolicy(harness.t.db, {
      actor: harness.users.carol,
      target: { kind: "connection", slug: "everything" },
      document: { default: "allow", rules: [] },
    });
  });

  it("pairs a server-to-client request (sampling) with the client's answer, inside the tool call it serves", async () => {
    const { transport } = mcpClient(harness.gateway.url, await token());
    const client = new Client({ name: "sampling-client", version: "1.0.0" }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: "assistant" as const,
      content: { type: "text" as const, text: "sampled" },
      model: "test-model",
    }));
    await client.connect(transport);
    await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi", maxTokens: 5 } });
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    const events = await listSessionEvents(harness.t.db, { actor: harness.users.alice, sessionId });
    const call = events.find((event) => event.tool === "trigger-sampling-request")!;
    const asked = events.find((event) => event.method === "sampling/createMessage")!;
    const answer = events.find((event) => event.replyToSeq === asked.seq)!;
    expect(answer).toMatchObject({ direction: "CLIENT_TO_UPSTREAM", kind: "response", rpcId: asked.rpcId });
    const result = events.find((event) => event.replyToSeq === call.seq)!;
    expect(result.direction).toBe("UPSTREAM_TO_CLIENT");
    // The call's latency includes the sampling round trip it waited for.
    expect(result.latencyMs!).toBeGreaterThanOrEqual(answer.latencyMs!);
    expect(call.seq < asked.seq && asked.seq < answer.seq && answer.seq < result.seq).toBe(true);
  });

  it("tells live tails (LISTEN tollgate_session_events) the newest committed seq of a session as its events commit", async () => {
    const listener = new pg.Client({ connectionString: harness.t.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (message) => void heard.push(message.payload ?? ""));
    await listener.query(`LISTEN ${LIVE_CHANNELS.sessionEvents}`);
    try {
      const { client, transport } = mcpClient(harness.gateway.url, await token());
      await client.connect(transport);
      await client.callTool({ name: "echo", arguments: { message: "tail" } });
      const sessionId = transport.sessionId!;
      const newest = await harness.t.db.sessionEvent.findFirstOrThrow({ where: { sessionId }, orderBy: { seq: "desc" } });
      // Announced within NOTIFY_EVERY_MS (maybe together with newer events of the session).
      const announced = () =>
        heard.filter((payload) => payload.startsWith(`${sessionId}:`)).map((payload) => Number(payload.split(":")[1]));
      await waitFor(() => announced().some((seq) => seq >= newest.seq), 2000);
      await transport.terminateSession();
      await client.close();
    } finally {
      await listener.end();
    }
  });

  it("checkpoints an open session's chain head, so deleted events show before the session ends", async () => {
    const { client, transport } = mcpClient(harness.gateway.url, await token());
    await client.connect(transport);
    await client.callTool({ name: "echo", arguments: { message: "one" } });
    const sessionId = transport.sessionId!;
    const live = harness.gateway.registry.get(sessionId)!;
    await live.checkpointHead();
    const row = await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(row.endedAt).toBeNull();
    const newest = await harness.t.db.sessionEvent.findFirstOrThrow({ where: { sessionId }, orderBy: { seq: "desc" } });
    expect([row.lastSeq, row.lastHash]).toEqual([newest.seq, newest.hash]);
    await client.callTool({ name: "echo", arguments: { message: "two" } });
    expect(await verifySession(harness.t.db, { actor: harness.users.alice, sessionId })).toMatchObject({ ok: true, headChecked: true });

    await harness.t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq >= $2`, sessionId, row.lastSeq);
    expect(await verifySession(harness.t.db, { actor: harness.users.alice, sessionId })).toMatchObject({
      ok: false,
      firstBad: { seq: row.lastSeq, problem: "missing" },
    });
    await transport.terminateSession();
    await client.close();
  });
});

describe("a session row tells the truth", () => {
  const endReason = async (sessionId: string) =>
    (await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId }, select: { endReason: true } })).endReason;

  it("ends a Streamable HTTP session whose client stopped without DELETE (its stream dropped) after the grace period", async () => {
    const { client, transport } = mcpClient(harness.gateway.url, await token());
    await client.connect(transport);
    await client.callTool({ name: "echo", arguments: { message: "then gone" } });
    const sessionId = transport.sessionId!;
    // The SDK client holds a GET stream open once initialized; give it a moment to open.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.close();
    await waitFor(async () => (await endReason(sessionId)) === "client went away", 5000);
    expect((await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endedAt).not.toBeNull();
  });

  it("ends a legacy SSE session when its stream closes, and a WebSocket session when its socket closes", async () => {
    const sseToken = await token();
    const sse = new SSEClientTransport(new URL(`${harness.gateway.url}/sse/everything`), {
      requestInit: { headers: { Authorization: `Bearer ${sseToken}` } },
      eventSourceInit: {
        fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers ?? {}), Authorization: `Bearer ${sseToken}` } }),
      },
    });
    const sseClient = new Client({ name: "sse", version: "1.0.0" });
    await sseClient.connect(sse);
    await sseClient.callTool({ name: "echo", arguments: { message: "sse" } });
    // The only legacy SSE session of this gateway.
    const sseSession = (await harness.t.db.session.findFirstOrThrow({ where: { transport: "sse", endedAt: null } })).id;
    await sseClient.close();
    await waitFor(async () => (await endReason(sseSession)) === "client went away", 5000);

    const wsGrant = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const ws = new NodeWebSocket(`${harness.gateway.url.replace("http", "ws")}/ws/everything`, ["mcp"], {
      headers: { Authorization: `Bearer ${wsGrant.token}` },
    });
    await new Promise((resolve) => ws.once("open", resolve));
    const wsSession = await waitFor(() => harness.gateway.registry.forGrant(wsGrant.grantId)[0]?.id);
    ws.close(1000);
    await waitFor(async () => (await endReason(wsSession)) === "client ended session", 5000);
  });

  it("keeps a quiet Streamable HTTP session whose client never held a stream (it cannot be told from a paused one) until DELETE or idle", async () => {
    const bearer = await token();
    const opened = await post(
      bearer,
      '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}',
    );
    const sessionId = opened.sessionId!;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(harness.gateway.registry.get(sessionId)?.isClosed).toBe(false);
    const deleted = await fetch(`${harness.gateway.url}/mcp/everything`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${bearer}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
    });
    await deleted.text();
    await waitFor(async () => (await endReason(sessionId)) === "client ended session", 5000);
  });
});

describe("shutdown", () => {
  it("ends every open session (Streamable HTTP, WebSocket) with its reason and chain head before the gateway's database clients close", async () => {
    const { client, transport } = mcpClient(harness.gateway.url, await token());
    await client.connect(transport);
    await client.callTool({ name: "echo", arguments: { message: "bye" } });
    const httpSession = transport.sessionId!;
    const wsGrant = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const ws = new NodeWebSocket(`${harness.gateway.url.replace("http", "ws")}/ws/everything`, ["mcp"], {
      headers: { Authorization: `Bearer ${wsGrant.token}` },
    });
    await new Promise((resolve) => ws.once("open", resolve));
    const wsSession = await waitFor(() => harness.gateway.registry.forGrant(wsGrant.grantId)[0]?.id);
    // The raw client of the first test never sent DELETE: its session is open too.
    const open = await harness.t.db.session.findMany({ where: { endedAt: null }, select: { id: true } });
    expect(open.map((row) => row.id)).toEqual(expect.arrayContaining([httpSession, wsSession]));

    await harness.gateway.close();
    const rows = await harness.t.db.session.findMany({ where: { id: { in: open.map((row) => row.id) } } });
    expect(rows).toHaveLength(open.length);
    for (const row of rows) {
      expect(row.endedAt).not.toBeNull();
      expect(row.endReason).toBe("gateway shutting down");
      expect(row.lastSeq).not.toBeNull();
    }
    expect(await verifySession(harness.t.db, { actor: harness.users.alice, sessionId: httpSession })).toMatchObject({
      ok: true,
      headChecked: true,
    });
    ws.terminate();
    await client.close().catch(() => undefined);
  });
});
