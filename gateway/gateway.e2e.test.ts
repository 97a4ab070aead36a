import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { updateConnection } from "../lib/connections/update-connection.ts";
import { EVERYTHING_CONNECTION } from "../lib/db/seed.ts";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { listGatewayTokens, revokeGatewayToken } from "../lib/tokens/gateway-tokens.ts";
import { mintGatewayToken } from "../lib/tokens/mint-gateway-token.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient as connectTo, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import type { TestDatabase } from "../test/postgres.ts";
import { waitFor } from "../test/wait-for.ts";
import type { Gateway } from "./server.ts";

// MCP end to end: the official SDK client talks to the gateway, which spawns the real
// server-everything over stdio (or proxies a real SDK server over HTTP), on a real Postgres.

let harness: TestGateway;
let t: TestDatabase;
let gateway: Gateway;
let users: TestGateway["users"];
let vaultKey: Buffer;

beforeAll(async () => {
  harness = await startTestGateway();
  ({ t, gateway, users, vaultKey } = harness);
});
afterAll(async () => harness?.stop());

const mcpClient = (token: string | null, slug = "everything") => connectTo(gateway.url, token, slug);

async function rawPost(slug: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}/mcp/${slug}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body,
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as { error: { code: number; message: string } },
  };
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

describe("gateway → server-everything over stdio", () => {
  it("lists and calls tools exactly like a direct connection, and records every message in order", async () => {
    const direct = new Client({ name: "direct", version: "1.0.0" });
    await direct.connect(
      new StdioClientTransport({ command: EVERYTHING_CONNECTION.command, args: EVERYTHING_CONNECTION.args, stderr: "ignore" }),
    );
    const directTools = await direct.listTools();
    const directEcho = await direct.callTool({ name: "echo", arguments: { message: "hello tollgate" } });
    await direct.close();

    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const { client, transport } = mcpClient(token);
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toEqual(directTools.tools.map((tool) => tool.name));
    const echo = await client.callTool({ name: "echo", arguments: { message: "hello tollgate" } });
    expect(echo).toEqual(directEcho);
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();

    await waitFor(async () => (await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endedAt !== null);
    const session = await t.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session).toMatchObject({ userId: users.alice.id, transport: "streamable-http", endReason: "client ended session" });
    expect(session.protocolVersion).toMatch(/^20\d\d-\d\d-\d\d$/);

    const events = await t.db.sessionEvent.findMany({ where: { sessionId }, orderBy: { seq: "asc" } });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const summary = events.map((e) => `${e.direction}:${e.method ?? e.kind}`);
    expect(summary.slice(0, 3)).toEqual([
      "CLIENT_TO_UPSTREAM:initialize",
      "UPSTREAM_TO_CLIENT:response",
      "CLIENT_TO_UPSTREAM:notifications/initialized",
    ]);
    expect(summary).toContain("CLIENT_TO_UPSTREAM:tools/list");
    const call = events.find((e) => e.method === "tools/call");
    expect(call).toMatchObject({ tool: "echo", direction: "CLIENT_TO_UPSTREAM" });
    const answer = events.find((e) => e.direction === "UPSTREAM_TO_CLIENT" && e.rpcId === call!.rpcId);
    expect(JSON.stringify(answer!.payload)).toContain("hello tollgate");
    expect(JSON.stringify(events.map((event) => event.payload))).not.toContain(token);
  });

  it("passes server-to-client requests (sampling) both ways during a call, and lists resources and prompts like direct", async () => {
    const withSampling = (client: Client) =>
      client.setRequestHandler(CreateMessageRequestSchema, async () => ({
        role: "assistant" as const,
        content: { type: "text" as const, text: "sampled by the test client" },
        model: "test-model",
        stopReason: "endTurn",
      }));
    const direct = new Client({ name: "direct", version: "1.0.0" }, { capabilities: { sampling: {} } });
    withSampling(direct);
    await direct.connect(
      new StdioClientTransport({ command: EVERYTHING_CONNECTION.command, args: EVERYTHING_CONNECTION.args, stderr: "ignore" }),
    );
    const directResources = await direct.listResources();
    const directPrompts = await direct.listPrompts();
    const directSampled = await direct.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi", maxTokens: 5 } });
    await direct.close();

    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.url}/mcp/everything`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: "sampling-client", version: "1.0.0" }, { capabilities: { sampling: {} } });
    withSampling(client);
    await client.connect(transport);
    expect(await client.listResources()).toEqual(directResources);
    expect(await client.listPrompts()).toEqual(directPrompts);
    const sampled = await client.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi", maxTokens: 5 } });
    expect(sampled).toEqual(directSampled);
    expect(JSON.stringify(sampled)).toContain("sampled by the test client");
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();

    const events = await t.db.sessionEvent.findMany({ where: { sessionId }, orderBy: { seq: "asc" } });
    const asked = events.find((e) => e.method === "sampling/createMessage")!;
    expect(asked.direction).toBe("UPSTREAM_TO_CLIENT");
    const answered = events.find((e) => e.direction === "CLIENT_TO_UPSTREAM" && e.kind === "response" && e.rpcId === asked.rpcId)!;
    expect(answered.seq).toBeGreaterThan(asked.seq);
    const call = events.find((e) => e.tool === "trigger-sampling-request")!;
    const result = events.find((e) => e.direction === "UPSTREAM_TO_CLIENT" && e.kind === "response" && e.rpcId === call.rpcId)!;
    expect(call.seq < asked.seq && answered.seq < result.seq).toBe(true);
  });

  it("refuses missing, wrong and misdirected credentials with distinct errors", async () => {
    const none = await rawPost("everything", INITIALIZE);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe(-32011);
    expect(none.json.error.message).toMatch(/Missing bearer token/);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);

    const wrong = await rawPost("everything", INITIALIZE, { authorization: "Bearer tgg_not-a-real-token" });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.message).toMatch(/not valid/);

    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const unknown = await rawPost("no-such-server", INITIALIZE, { authorization: `Bearer ${token}` });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe(-32015);
    expect(unknown.json.error.message).toMatch(/No MCP connection "no-such-server"/);

    // The SDK client surfaces the gateway's message.
    const { client, transport } = mcpClient(null);
    await expect(client.connect(transport)).rejects.toThrow(/Missing bearer token|401/);
  });

  it("rejects malformed and oversized bodies without harming the gateway", async () => {
    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const auth = { authorization: `Bearer ${token}` };
    const garbage = await rawPost("everything", "{not json", auth);
    expect([garbage.status, garbage.json.error.code]).toEqual([400, -32700]);
    const shapeless = await rawPost("everything", JSON.stringify({ hello: "world" }), auth);
    expect([shapeless.status, shapeless.json.error.code]).toEqual([400, -32600]);
    const noSession = await rawPost("everything", JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), auth);
    expect(noSession.status).toBe(400);
    expect(noSession.json.error.message).toMatch(/Mcp-Session-Id/);
    const huge = await rawPost(
      "everything",
      JSON.stringify({ jsonrpc: "2.0", id: 3, method: "x", params: { blob: "x".repeat(5 * 1024 * 1024) } }),
      auth,
    );
    expect([huge.status, huge.json.error.code]).toEqual([413, -32018]);
    const health = await fetch(`${gateway.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it("cuts the session when the grant expires: streams close, the next message gets a clear error", async () => {
    const { token, grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const { client, transport } = mcpClient(token);
    await client.connect(transport);
    await client.listTools();
    const sessionId = transport.sessionId!;
    // Shorten the grant to ~1 s; the gateway picks the new expiry up on the next request.
    await t.db.grant.update({ where: { id: grantId }, data: { expiresAt: new Date(Date.now() + 1000) } });
    await client.callTool({ name: "echo", arguments: { message: "still in time" } });
    await waitFor(() => gateway.registry.get(sessionId) === undefined, 5000);
    // The end is recorded after the streams and the child are closed.
    await waitFor(async () => (await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason === "grant expired", 5000);

    await expect(client.callTool({ name: "echo", arguments: { message: "too late" } })).rejects.toThrow(/expired/);
    const raw = await rawPost("everything", INITIALIZE, { authorization: `Bearer ${token}` });
    expect([raw.status, raw.json.error.code]).toEqual([403, -32013]);
    expect(raw.json.error.message).toMatch(/expired at .* Request access again/);
    await client.close().catch(() => undefined);
  });

  it("cuts the session at once when the grant is revoked", async () => {
    const { token, grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const { client, transport } = mcpClient(token);
    await client.connect(transport);
    const sessionId = transport.sessionId!;
    await revokeGrant(t.db, { actor: users.bob, grantId });
    await waitFor(() => gateway.registry.get(sessionId) === undefined, 3000);
    await expect(client.listTools()).rejects.toThrow(/revoked/);
    await waitFor(async () => (await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason === "grant revoked");
    await client.close().catch(() => undefined);
  });

  it("closes an open server-to-client SSE stream when the grant is revoked", async () => {
    const { token, grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const init = await fetch(`${gateway.url}/mcp/everything`, { method: "POST", headers, body: INITIALIZE });
    const sessionId = init.headers.get("mcp-session-id")!;
    await init.text();
    const sessionHeaders = { ...headers, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-06-18" };
    await fetch(`${gateway.url}/mcp/everything`, {
      method: "POST",
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    const stream = await fetch(`${gateway.url}/mcp/everything`, {
      method: "GET",
      headers: { ...sessionHeaders, accept: "text/event-stream" },
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    await revokeGrant(t.db, { actor: users.carol, grantId });
    await expect(Promise.race([ended, new Promise((resolve) => setTimeout(() => resolve(false), 3000))])).resolves.toBe(true);
  });

  it("starts stdio upstreams with only a minimal environment plus the connection's sealed env credential", async () => {
    await createConnection(t.db, {
      actor: users.carol,
      vaultKey,
      input: {
        slug: "everything-env",
        name: "Everything with env",
        transport: "stdio",
        command: EVERYTHING_CONNECTION.command,
        args: EVERYTHING_CONNECTION.args,
        env: { DEMO_API_KEY: "stdio-secret" },
        maxMinutes: 30,
      },
    });
    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything-env" });
    const { client, transport } = mcpClient(token, "everything-env");
    await client.connect(transport);
    const result = await client.callTool({ name: "get-env", arguments: {} });
    const text = JSON.stringify(result);
    expect(text).toContain("stdio-secret");
    // Nothing of the gateway's own environment (database URL, keys, test settings) reaches the child.
    expect(text).not.toMatch(/postgresql:|TOLLGATE_|DATABASE_URL/);
    await transport.terminateSession();
    await client.close();
  });

  it("reports an upstream that cannot start or cannot be reached as a clear error, and keeps serving", async () => {
    await createConnection(t.db, {
      actor: users.carol,
      vaultKey,
      input: {
        slug: "broken-stdio",
        name: "Broken stdio",
        transport: "stdio",
        command: "/nonexistent/mcp-server",
        args: [],
        maxMinutes: 30,
      },
    });
    await createConnection(t.db, {
      actor: users.carol,
      vaultKey,
      input: { slug: "dead-http", name: "Dead HTTP", transport: "streamable-http", url: "http://127.0.0.1:1/mcp", maxMinutes: 30 },
    });
    const broken = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "broken-stdio" });
    const refused = await rawPost("broken-stdio", INITIALIZE, { authorization: `Bearer ${broken.token}` });
    expect([refused.status, refused.json.error.code]).toEqual([502, -32017]);
    expect(refused.json.error.message).toMatch(/Could not start the upstream MCP server for "broken-stdio"/);

    const dead = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "dead-http" });
    const { client, transport } = mcpClient(dead.token, "dead-http");
    await expect(client.connect(transport)).rejects.toThrow(/upstream MCP server "dead-http"/);
    await waitFor(
      async () => (await t.db.session.findFirst({ where: { connection: { slug: "dead-http" } } }))?.endReason === "upstream unavailable",
    );
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });

  it("revoking one gateway token ends its sessions and refuses it, while the grant's other tokens work", async () => {
    const { token, grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const spare = await mintGatewayToken(t.db, { actor: users.alice, grantId });
    const { client, transport } = mcpClient(token);
    await client.connect(transport);
    const sessionId = transport.sessionId!;

    const tokens = await listGatewayTokens(t.db, { actor: users.alice, grantId });
    expect(tokens).toHaveLength(2);
    expect(JSON.stringify(tokens)).not.toContain(token);
    await expect(listGatewayTokens(t.db, { actor: users.carol, grantId })).resolves.toHaveLength(2);
    const leaked = tokens.find((row) => token.startsWith(row.prefix))!;
    await expect(revokeGatewayToken(t.db, { actor: users.bob, tokenId: leaked.id })).resolves.toMatchObject({
      revokedAt: expect.any(String),
    });

    await waitFor(
      async () => (await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason === "gateway token revoked",
      3000,
    );
    const refused = await rawPost("everything", INITIALIZE, { authorization: `Bearer ${token}` });
    expect([refused.status, refused.json.error.code]).toEqual([401, -32011]);
    expect(refused.json.error.message).toMatch(/revoked at/);

    const other = mcpClient(spare.token);
    await other.client.connect(other.transport);
    expect(await other.client.callTool({ name: "echo", arguments: { message: "spare" } })).toMatchObject({
      content: [{ text: "Echo: spare" }],
    });
    await other.transport.terminateSession();
    await other.client.close();
    await client.close().catch(() => undefined);
  });

  it("does not let a token use another grant's session", async () => {
    const first = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const second = await grantAndMint(t.db, { requester: users.bob, approver: users.carol, connection: "everything" });
    const { client, transport } = mcpClient(first.token);
    await client.connect(transport);
    const hijack = await rawPost("everything", JSON.stringify({ jsonrpc: "2.0", id: 9, method: "tools/list" }), {
      authorization: `Bearer ${second.token}`,
      "mcp-session-id": transport.sessionId!,
      "mcp-protocol-version": "2025-06-18",
    });
    expect(hijack.status).toBe(404);
    await client.close();
  });
});

describe("gateway → Streamable HTTP upstream", () => {
  let upstream: Server;
  const seenHeaders: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    // A real SDK MCP server that reports the Authorization header it received.
    const transports = new Map<string, StreamableHTTPServerTransport>();
    upstream = createServer(async (req, res) => {
      seenHeaders.push(req.headers);
      const sid = req.headers["mcp-session-id"] as string | undefined;
      let transport = sid ? transports.get(sid) : undefined;
      if (!transport) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomBytes(8).toString("hex"),
          onsessioninitialized: (id) => void transports.set(id, transport!),
        });
        const server = new McpServer({ name: "header-echo", version: "1.0.0" });
        server.registerTool(
          "whoami",
          { description: "Reports the Authorization header the upstream saw", inputSchema: { note: z.string().optional() } },
          async (_args, extra) => ({
            content: [{ type: "text", text: String(extra.requestInfo?.headers.authorization ?? "none") }],
          }),
        );
        await server.connect(transport);
      }
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it("injects the stored credential and never forwards the client's token", async () => {
    const port = (upstream.address() as AddressInfo).port;
    await createConnection(t.db, {
      actor: users.carol,
      vaultKey,
      input: {
        slug: "header-echo",
        name: "Header echo",
        transport: "streamable-http",
        url: `http://127.0.0.1:${port}/mcp`,
        headers: { Authorization: "Bearer upstream-secret" },
        maxMinutes: 30,
      },
    });
    const stored = await t.db.connection.findUniqueOrThrow({ where: { slug: "header-echo" } });
    expect(stored.credential).not.toContain("upstream-secret");

    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "header-echo" });
    const { client, transport } = mcpClient(token, "header-echo");
    await client.connect(transport);
    const result = await client.callTool({ name: "whoami", arguments: {} });
    expect(result.content).toEqual([{ type: "text", text: "Bearer upstream-secret" }]);
    const sessionId = transport.sessionId!;
    await client.close();

    expect(seenHeaders.length).toBeGreaterThan(0);
    for (const headers of seenHeaders) {
      expect(headers.authorization).toBe("Bearer upstream-secret");
      expect(JSON.stringify(headers)).not.toContain(token);
    }
    // The answer contains the credential only because this test tool echoes it; the request side never does.
    const requests = await t.db.sessionEvent.findMany({ where: { sessionId, direction: "CLIENT_TO_UPSTREAM" } });
    expect(JSON.stringify(requests.map((event) => event.payload))).not.toContain("upstream-secret");
    // Neither secret ever reaches the gateway's logs.
    expect(harness.logs.length).toBeGreaterThan(0);
    expect(harness.logs.join("\n")).not.toContain("upstream-secret");
    expect(harness.logs.join("\n")).not.toContain(token);
  });

  it("uses a rotated credential for new sessions, while an open session keeps the one it opened with", async () => {
    // header-echo was registered by the previous test, with "Bearer upstream-secret".
    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "header-echo" });
    const before = mcpClient(token, "header-echo");
    await before.client.connect(before.transport);

    await updateConnection(t.db, {
      actor: users.carol,
      slug: "header-echo",
      input: { headers: { Authorization: "Bearer rotated-secret" } },
      vaultKey: harness.vaultKey,
    });

    const after = mcpClient(token, "header-echo");
    await after.client.connect(after.transport);
    expect((await after.client.callTool({ name: "whoami", arguments: {} })).content).toEqual([
      { type: "text", text: "Bearer rotated-secret" },
    ]);
    // The gateway reads the credential when it opens a session's upstream, so this one is unchanged until it ends.
    expect((await before.client.callTool({ name: "whoami", arguments: {} })).content).toEqual([
      { type: "text", text: "Bearer upstream-secret" },
    ]);
    await after.transport.terminateSession();
    await before.transport.terminateSession();
    await Promise.all([after.client.close(), before.client.close()]);
    expect(harness.logs.join("\n")).not.toContain("rotated-secret");
  });
});
