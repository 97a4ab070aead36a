import { readdirSync, readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { revokeGatewayToken } from "../lib/tokens/gateway-tokens.ts";
import { grantAndMint, grantAndMintOAuth } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { waitFor } from "../test/wait-for.ts";

// Legacy SSE streams that never post (mcp-remote probes GET /sse/<slug> and closes it; some clients
// open the stream and say nothing): the GET authenticates, authorizes and takes a session slot, but
// records no session and spawns no stdio child — the first POSTed message does both, before it is
// recorded and forwarded. Such a stream still counts against the caps, ends on the idle time and on
// revocation, and leaves an info log line instead of an empty session.

const IDLE_MS = 1500;
const ENDED_EARLY = "legacy SSE stream ended before its first message; no session was recorded";

let harness: TestGateway;

beforeAll(async () => {
  harness = await startTestGateway({ keepAliveMs: 300, sessionIdleMs: IDLE_MS, maxSessionsPerGrant: 2 });
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "broken", name: "broken", transport: "stdio", command: "/nonexistent/tollgate-test-server", args: [], maxMinutes: 60 },
  });
});
afterAll(async () => {
  await harness?.stop();
});

function grant(connection = "everything") {
  return grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection });
}

/**
 * The server-everything children this test process runs now (Linux: read from /proc; the pool runs
 * each test file in a process of its own, so these are this file's gateway's).
 */
function everythingChildren(): number {
  let count = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("mcp-server-everything")) count += 1;
    } catch {
      // The process ended while we looked.
    }
  }
  return count;
}

/** A raw GET /sse/<slug>, as a probe sends it: its status, and (if 200) its endpoint event and a way to read on. */
async function openStream(token: string, slug = "everything") {
  const abort = new AbortController();
  const response = await fetch(`${harness.gateway.url}/sse/${slug}`, {
    headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
    signal: abort.signal,
  });
  if (response.status !== 200) return { status: response.status, body: await response.json(), abort };
  const reader = response.body!.getReader();
  let text = "";
  /** Reads until `pattern` shows, or (null) to the end of the stream. */
  const readUntil = async (pattern: RegExp | null) => {
    while (!pattern?.test(text)) {
      const { value, done } = await reader.read();
      if (done) {
        if (pattern) throw new Error(`stream ended before ${pattern}`);
        return text;
      }
      text += new TextDecoder().decode(value);
    }
    return text;
  };
  const endpoint = /event: endpoint\ndata: (\S+)\n\n/.exec(await readUntil(/event: endpoint\ndata: \S+\n\n/))![1]!;
  return { status: 200, abort, endpoint, readUntil };
}

async function sessionRows(grantId: string) {
  return harness.t.db.session.findMany({ where: { grantId } });
}

/** The info lines logged for streams of `grantId` that ended before their first message. */
function endedEarly(grantId: string): Array<Record<string, unknown>> {
  return harness.logs
    .map((line) => JSON.parse(line) as { message?: string; grant?: string })
    .filter((entry) => entry.message === ENDED_EARLY && entry.grant === grantId);
}

describe("legacy SSE streams before their first message", () => {
  it("a GET closed without posting spawns no stdio child and records no session, only an info log line", async () => {
    const { token, grantId } = await grant();
    const children = everythingChildren();
    const stream = await openStream(token);
    expect(stream.endpoint).toMatch(/^\/sse\/everything\/messages\?sessionId=/);
    // The stream holds its slot (it counts against the caps), but nothing else exists yet.
    expect(harness.gateway.limits.usage).toEqual({ sessions: 1, stdioChildren: 1 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(everythingChildren()).toBe(children);
    expect(harness.gateway.registry.forGrant(grantId)).toEqual([]);
    expect(await sessionRows(grantId)).toEqual([]);
    stream.abort.abort();
    await waitFor(() => harness.gateway.limits.usage.sessions === 0);
    expect(everythingChildren()).toBe(children);
    expect(await sessionRows(grantId)).toEqual([]);
    // Who tried, with which token, on which connection, and why it ended: in the log, not as an empty session.
    expect(endedEarly(grantId)).toEqual([
      expect.objectContaining({
        reason: "client went away",
        connection: "everything",
        user: "alice@example.com",
        gatewayTokenId: expect.any(String),
        level: "info",
      }),
    ]);
    expect(harness.logs.join("\n")).not.toContain(token);
  });

  it("then a normal SDK SSE session works end to end: its first message starts the child and is recorded first", async () => {
    const { token, grantId } = await grant();
    const children = everythingChildren();
    const client = new Client({ name: "sse-probe-test", version: "1.0.0" });
    await client.connect(
      new SSEClientTransport(new URL(`${harness.gateway.url}/sse/everything`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    expect(everythingChildren()).toBe(children + 1);
    expect(await client.callTool({ name: "echo", arguments: { message: "after a probe" } })).toMatchObject({
      content: [{ type: "text", text: "Echo: after a probe" }],
    });
    const [row] = await sessionRows(grantId);
    expect(row).toMatchObject({ transport: "sse", clientInfo: { name: "sse-probe-test" }, protocolVersion: expect.any(String) });
    const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId: row!.id }, orderBy: { seq: "asc" } });
    // Write-ahead from the very first message: the initialize request is the recording's first event.
    expect(events[0]).toMatchObject({ seq: 1, direction: "CLIENT_TO_UPSTREAM", method: "initialize" });
    expect(events.some((event) => event.direction === "CLIENT_TO_UPSTREAM" && event.tool === "echo")).toBe(true);
    await client.close();
    await waitFor(async () => (await sessionRows(grantId))[0]?.endReason === "client went away");
    await waitFor(() => everythingChildren() === children);
    expect(harness.gateway.limits.usage.sessions).toBe(0);
    expect(endedEarly(grantId)).toEqual([]);
  });

  it("streams that never post still count against the caps while open", async () => {
    const { token, grantId } = await grant();
    const first = await openStream(token);
    const second = await openStream(token);
    const refused = await openStream(token);
    expect(refused).toMatchObject({
      status: 429,
      body: { error: { data: { reason: "LIMIT_REACHED", limit: "sessions-per-grant", max: 2 } } },
    });
    first.abort.abort();
    await waitFor(() => harness.gateway.limits.usage.sessions === 1);
    const third = await openStream(token);
    expect(third.status).toBe(200);
    second.abort.abort();
    third.abort.abort();
    await waitFor(() => harness.gateway.limits.usage.sessions === 0);
    expect(await sessionRows(grantId)).toEqual([]);
  });

  it("a stream that never posts ends after the idle time, and one whose grant is revoked at once", async () => {
    const idle = await grant();
    const quiet = await openStream(idle.token);
    const started = Date.now();
    await quiet.readUntil!(null);
    expect(Date.now() - started).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(endedEarly(idle.grantId)).toEqual([expect.objectContaining({ reason: "idle timeout" })]);

    const revoked = await grant();
    const open = await openStream(revoked.token);
    await revokeGrant(harness.t.db, { actor: harness.users.bob, grantId: revoked.grantId });
    await open.readUntil!(null);
    expect(endedEarly(revoked.grantId)).toEqual([expect.objectContaining({ reason: "grant revoked" })]);
    await waitFor(() => harness.gateway.limits.usage.sessions === 0);
    expect([...(await sessionRows(idle.grantId)), ...(await sessionRows(revoked.grantId))]).toEqual([]);
  });

  it("a stream ends when the gateway token that opened it is revoked", async () => {
    const { token, grantId } = await grant();
    const stream = await openStream(token);
    const { id: tokenId } = await harness.t.db.gatewayToken.findFirstOrThrow({ where: { grantId } });
    await revokeGatewayToken(harness.t.db, { actor: harness.users.alice, tokenId });
    await stream.readUntil!(null);
    expect(endedEarly(grantId)).toEqual([expect.objectContaining({ reason: "gateway token revoked", gatewayTokenId: tokenId })]);
    expect(await sessionRows(grantId)).toEqual([]);
  });

  it("a stream opened with an OAuth access token ends when that token expires, before the grant", async () => {
    const { token, grantId, tokenId } = await grantAndMintOAuth(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
      clientId: "tgc_sse-probe-test",
      resource: `${harness.gateway.url}/sse/everything`,
      expiresAt: new Date(Date.now() + 800),
    });
    const stream = await openStream(token);
    await stream.readUntil!(null);
    expect(endedEarly(grantId)).toEqual([expect.objectContaining({ reason: "access token expired", gatewayTokenId: tokenId })]);
    expect(await sessionRows(grantId)).toEqual([]);
  });

  it("an upstream that cannot start refuses the first message and ends the stream (fail closed)", async () => {
    const { token, grantId } = await grant("broken");
    const stream = await openStream(token, "broken");
    const response = await fetch(`${harness.gateway.url}${stream.endpoint}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
      }),
    });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ id: 1, error: { data: { reason: "UPSTREAM_UNAVAILABLE" } } });
    await stream.readUntil!(null);
    await waitFor(() => harness.gateway.limits.usage.sessions === 0);
    // A message was sent, so the attempt is a recorded session, ended with the reason.
    expect(await sessionRows(grantId)).toEqual([expect.objectContaining({ endReason: "upstream failed to start" })]);
    // The stream is gone: another message on it is told to open a new one.
    const again = await fetch(`${harness.gateway.url}${stream.endpoint}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping" }),
    });
    expect(again.status).toBe(404);
  });

  it("a Streamable HTTP GET without a session opens nothing either (sessions there start with initialize)", async () => {
    const { token, grantId } = await grant();
    const response = await fetch(`${harness.gateway.url}/mcp/everything`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream", "mcp-protocol-version": "2025-06-18" },
    });
    expect(response.status).toBe(400);
    expect(harness.gateway.limits.usage.sessions).toBe(0);
    expect(await sessionRows(grantId)).toEqual([]);
  });
});
