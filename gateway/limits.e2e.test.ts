import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type JsonUpstream, startJsonUpstream } from "../test/json-upstream.ts";
import { createLogger } from "./log.ts";
import { startGateway } from "./server.ts";

// Bounded resources, through the real gateway: caps on sessions (per grant, per user, per gateway)
// and on stdio children, each refused with 429 naming the limit; a body-read timeout; a bound on
// open connections; a session whose client hung up ends soon; stdio children in their own directory.

let harness: TestGateway;
let upstream: JsonUpstream;

beforeAll(async () => {
  harness = await startTestGateway({
    maxSessionsPerGrant: 2,
    maxSessionsPerUser: 3,
    maxSessions: 4,
    maxStdioChildren: 1,
    bodyTimeoutMs: 1000,
    sessionGoneMs: 400,
    sessionIdleMs: 60_000,
  });
  upstream = await startJsonUpstream();
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "json", name: "JSON upstream", transport: "streamable-http", url: upstream.url, maxMinutes: 30 },
  });
});
afterAll(async () => {
  await harness?.stop();
  await upstream?.close();
});

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

interface Refusal {
  error: { code: number; message: string; data: { reason: string; limit?: string; max?: number } };
}

async function initialize(
  slug: string,
  token: string,
  gatewayUrl = harness.gateway.url,
): Promise<{ status: number; sessionId: string | null; refusal: Refusal | null }> {
  const response = await fetch(`${gatewayUrl}/mcp/${slug}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: INITIALIZE,
  });
  const text = await response.text();
  const json = response.headers.get("content-type")?.includes("application/json") ? (JSON.parse(text) as Refusal) : null;
  return { status: response.status, sessionId: response.headers.get("mcp-session-id"), refusal: json?.error ? json : null };
}

async function end(slug: string, token: string, sessionId: string, gatewayUrl = harness.gateway.url): Promise<void> {
  const response = await fetch(`${gatewayUrl}/mcp/${slug}`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${token}`, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" },
  });
  await response.text();
  expect(response.status).toBe(200);
}

const grant = (requester: "alice" | "bob" | "carol", connection: string) =>
  grantAndMint(harness.t.db, {
    requester: harness.users[requester],
    approver: requester === "bob" ? harness.users.carol : harness.users.bob,
    connection,
  });

/** A raw TCP client: what it received, and whether the gateway closed the connection. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("utf8");
  });
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  return { socket, received: () => received, closed };
}

/** Resolves true if `closed` settles within `ms`, false otherwise. */
const within = (closed: Promise<void>, ms: number) =>
  Promise.race([closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);

describe("session caps", () => {
  it("caps sessions per grant, per user and per gateway with a 429 naming the limit, its value and what to do", async () => {
    const [a1, a2, b1] = [await grant("alice", "json"), await grant("alice", "json"), await grant("bob", "json")];
    const s1 = await initialize("json", a1.token);
    const s2 = await initialize("json", a1.token);
    expect([s1.status, s2.status]).toEqual([200, 200]);

    const perGrant = await initialize("json", a1.token);
    expect(perGrant.status).toBe(429);
    expect(perGrant.refusal?.error).toMatchObject({
      code: -32007,
      data: { reason: "LIMIT_REACHED", limit: "sessions-per-grant", max: 2 },
    });
    expect(perGrant.refusal?.error.message).toMatch(
      /This grant already has 2 open sessions; end one of them \(.*DELETE.*\) or wait for idle ones to close \(GATEWAY_MAX_SESSIONS_PER_GRANT=2\)\./,
    );
    // The SDK client shows the reason too.
    const { client, transport } = mcpClient(harness.gateway.url, a1.token, "json");
    await expect(client.connect(transport)).rejects.toThrow(/already has 2 open sessions/);

    const s4 = await initialize("json", a2.token);
    expect(s4.status).toBe(200);
    const perUser = await initialize("json", a2.token);
    expect([perUser.status, perUser.refusal?.error.data]).toEqual([429, { reason: "LIMIT_REACHED", limit: "sessions-per-user", max: 3 }]);
    expect(perUser.refusal?.error.message).toMatch(/You already have 3 open sessions/);

    const s6 = await initialize("json", b1.token);
    expect(s6.status).toBe(200);
    const total = await initialize("json", b1.token);
    expect([total.status, total.refusal?.error.data]).toEqual([429, { reason: "LIMIT_REACHED", limit: "sessions", max: 4 }]);
    expect(total.refusal?.error.message).toMatch(/This gateway already holds 4 open sessions.*GATEWAY_MAX_SESSIONS=4/);

    // Ending a session frees its slot at once.
    await end("json", a1.token, s1.sessionId!);
    const again = await initialize("json", a1.token);
    expect(again.status).toBe(200);
    expect(await harness.gateway.metrics.render()).toMatch(/tollgate_gateway_refusals_total\{reason="LIMIT_REACHED"\} [4-9]/);

    await end("json", a1.token, s2.sessionId!);
    await end("json", a1.token, again.sessionId!);
    await end("json", a2.token, s4.sessionId!);
    await end("json", b1.token, s6.sessionId!);
    await expect.poll(() => harness.gateway.limits.usage.sessions).toBe(0);
    // Refused initializes never reached the upstream.
    expect(upstream.initialized).toBe(5);
  });

  it("takes a slot before anything is awaited: of a burst of initializes on one grant, only the cap succeeds", async () => {
    const c1 = await grant("carol", "json");
    const burst = await Promise.all(Array.from({ length: 6 }, () => initialize("json", c1.token)));
    expect(burst.map((result) => result.status).sort()).toEqual([200, 200, 429, 429, 429, 429]);
    for (const opened of burst.filter((result) => result.status === 200)) await end("json", c1.token, opened.sessionId!);
    await expect.poll(() => harness.gateway.limits.usage.sessions).toBe(0);
  });

  it("caps running stdio children, and frees the slot when the child's session ends", async () => {
    const first = await grant("alice", "everything");
    const second = await grant("bob", "everything");
    const running = await initialize("everything", first.token);
    expect(running.status).toBe(200);
    const refused = await initialize("everything", second.token);
    expect([refused.status, refused.refusal?.error.data]).toEqual([429, { reason: "LIMIT_REACHED", limit: "stdio-children", max: 1 }]);
    expect(refused.refusal?.error.message).toMatch(/already runs 1 stdio MCP server processes.*GATEWAY_MAX_STDIO_CHILDREN=1/);
    await end("everything", first.token, running.sessionId!);
    await expect.poll(() => harness.gateway.limits.usage.stdioChildren).toBe(0);
    const now = await initialize("everything", second.token);
    expect(now.status).toBe(200);
    await end("everything", second.token, now.sessionId!);
  });
});

describe("stdio children", () => {
  it("run in a fresh empty directory of their own, never the gateway's, removed when the session ends", async () => {
    // A tiny stdio MCP server whose one tool reports its working directory and what is in it.
    const script = `
      const fs = require("fs");
      require("readline").createInterface({ input: process.stdin }).on("line", (line) => {
        const m = JSON.parse(line);
        if (m.id === undefined) return;
        const send = (result) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", id: m.id, result }) + "\\n");
        if (m.method === "initialize") send({ protocolVersion: m.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "where", version: "1" } });
        else if (m.method === "tools/list") send({ tools: [{ name: "where", inputSchema: { type: "object" } }] });
        else send({ content: [{ type: "text", text: JSON.stringify({ cwd: process.cwd(), entries: fs.readdirSync(".") }) }] });
      });`;
    await createConnection(harness.t.db, {
      actor: harness.users.carol,
      vaultKey: harness.vaultKey,
      input: { slug: "where", name: "Where", transport: "stdio", command: process.execPath, args: ["-e", script], maxMinutes: 30 },
    });
    const { token } = await grant("alice", "where");
    const { client, transport } = mcpClient(harness.gateway.url, token, "where");
    await client.connect(transport);
    const result = (await client.callTool({ name: "where", arguments: {} })) as { content: Array<{ text: string }> };
    const where = JSON.parse(result.content[0]!.text) as { cwd: string; entries: string[] };
    expect(where.cwd).not.toBe(process.cwd());
    expect(where.cwd.startsWith(tmpdir())).toBe(true);
    expect(where.cwd).toContain("tollgate-stdio-");
    expect(where.entries).toEqual([]);
    await transport.terminateSession();
    await client.close();
    await expect.poll(() => existsSync(where.cwd), { timeout: 8000 }).toBe(false);
  });
});

describe("slow bodies", () => {
  const head = (path: string, headers: string) =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n${headers}Content-Length: 500\r\n\r\n{"jsonrpc"`;
  const drip = (socket: Socket) => {
    const timer = setInterval(() => socket.writable && socket.write(" "), 150);
    socket.once("close", () => clearInterval(timer));
    return timer;
  };

  it("answers a client that drips its body 408 after the body timeout and closes the connection, authenticated or not", async () => {
    const { token } = await grant("carol", "json");
    const slow = rawClient(harness.gateway.port);
    slow.socket.write(head("/mcp/json", `Authorization: Bearer ${token}\r\n`));
    const timer = drip(slow.socket);
    const cut = await within(slow.closed, 4000);
    clearInterval(timer);
    slow.socket.destroy();
    expect(cut).toBe(true);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(slow.received()).toMatch(/"code":-32008/);
    expect(slow.received()).toMatch(/"reason":"BODY_TIMEOUT"/);
    expect(slow.received()).toMatch(/did not arrive within 1 s/);

    // Without a token: refused at once, and the connection is not left to the drip.
    const anonymous = rawClient(harness.gateway.port);
    anonymous.socket.write(head("/mcp/json", ""));
    const anonymousTimer = drip(anonymous.socket);
    const anonymousCut = await within(anonymous.closed, 4000);
    clearInterval(anonymousTimer);
    anonymous.socket.destroy();
    expect(anonymousCut).toBe(true);
    expect(anonymous.received()).toMatch(/^HTTP\/1\.1 401 /);

    // A body nobody reads (a path that answers without it) is cut off all the same.
    const unread = rawClient(harness.gateway.port);
    unread.socket.write(head("/healthz", ""));
    const unreadTimer = drip(unread.socket);
    const unreadCut = await within(unread.closed, 4000);
    clearInterval(unreadTimer);
    unread.socket.destroy();
    expect(unreadCut).toBe(true);
    expect((await fetch(`${harness.gateway.url}/healthz`)).status).toBe(200);
  });
});

describe("sessions whose client went away", () => {
  it("ends a session soon after its client hangs up its stream without DELETE, and keeps a quiet one whose client did not", async () => {
    const { token } = await grant("carol", "json");
    const quiet = await initialize("json", token);
    expect(quiet.status).toBe(200);

    const { client, transport } = mcpClient(harness.gateway.url, token, "json");
    await client.connect(transport);
    expect(await client.callTool({ name: "echo", arguments: { message: "hi" } })).toMatchObject({ content: [{ text: "Echo: hi" }] });
    const sessionId = transport.sessionId!;
    // The SDK client holds a GET stream open; closing the client drops it without a DELETE.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await client.close();
    await expect
      .poll(async () => (await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason, { timeout: 5000 })
      .toBe("client went away");
    // The raw client never hung up anything: its session waits for the (much longer) idle limit.
    expect(harness.gateway.registry.get(quiet.sessionId!)?.isClosed).toBe(false);
    await end("json", token, quiet.sessionId!);
  });

  it("at a cap, ends the caller's session whose client hung up longest ago instead of refusing a new one (short clients one after another, none sending DELETE)", async () => {
    // Clients such as the Inspector's CLI open a session per command and exit without DELETE;
    // with a long GATEWAY_SESSION_GONE_MS their sessions would fill the grant's cap.
    const patient = await startGateway({
      port: 0,
      databaseUrl: harness.t.url,
      vaultKey: harness.vaultKey,
      log: createLogger({ sink: () => undefined }),
      maxSessionsPerGrant: 2,
      sessionGoneMs: 60_000,
      sessionIdleMs: 60_000,
    });
    const endReason = async (id: string) => (await harness.t.db.session.findUniqueOrThrow({ where: { id } })).endReason;
    try {
      const { token } = await grant("alice", "json");
      const quiet = await initialize("json", token, patient.url);
      expect(quiet.status).toBe(200);
      const left: string[] = [];
      for (const message of ["one", "two", "three"]) {
        const { client, transport } = mcpClient(patient.url, token, "json");
        await client.connect(transport);
        expect(await client.callTool({ name: "echo", arguments: { message } })).toMatchObject({ content: [{ text: `Echo: ${message}` }] });
        left.push(transport.sessionId!);
        // The SDK client holds a GET stream open; closing the client hangs it up without a DELETE.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await client.close();
        await expect.poll(() => patient.registry.get(transport.sessionId!)?.hungUpSince ?? null).not.toBeNull();
      }
      // Each new client took the place of the one before it, never the quiet session's.
      await expect.poll(() => endReason(left[0]!)).toBe("client went away");
      await expect.poll(() => endReason(left[1]!)).toBe("client went away");
      expect(await endReason(left[2]!)).toBeNull();
      expect(patient.registry.get(quiet.sessionId!)?.isClosed).toBe(false);

      // A client still holding its stream is never ended to make room: then the cap refuses.
      const { client, transport } = mcpClient(patient.url, token, "json");
      await client.connect(transport);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect.poll(() => endReason(left[2]!)).toBe("client went away");
      const refused = await initialize("json", token, patient.url);
      expect([refused.status, refused.refusal?.error.data]).toEqual([
        429,
        { reason: "LIMIT_REACHED", limit: "sessions-per-grant", max: 2 },
      ]);
      await transport.terminateSession();
      await client.close();
      await end("json", token, quiet.sessionId!, patient.url);
    } finally {
      await patient.close();
    }
  });
});

describe("open connections", () => {
  let small: TestGateway;
  beforeAll(async () => {
    small = await startTestGateway({ maxConnections: 5 });
  });
  afterAll(async () => small?.stop());

  it("answers a connection past the limit 429 naming the limit, closes it, and serves again once others close", async () => {
    const held = Array.from({ length: 5 }, () => rawClient(small.gateway.port));
    await Promise.all(held.map((client) => new Promise((resolve) => client.socket.once("connect", resolve))));
    const extra = rawClient(small.gateway.port);
    const closed = await within(extra.closed, 3000);
    extra.socket.destroy();
    expect(closed).toBe(true);
    expect(extra.received()).toMatch(/^HTTP\/1\.1 429 /);
    expect(extra.received()).toMatch(/"limit":"connections","max":5/);
    expect(extra.received()).toMatch(/already has 5 open client connections.*GATEWAY_MAX_CONNECTIONS=5/);
    for (const client of held) client.socket.destroy();
    await expect.poll(async () => (await fetch(`${small.gateway.url}/healthz`).catch(() => null))?.status, { timeout: 3000 }).toBe(200);
  });
});
