import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { WebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { sha256Hex } from "../lib/hash.ts";
import { exchangeToken } from "../lib/oauth/exchange-token.ts";
import { registerClient } from "../lib/oauth/register-client.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import { grantAndMint, grantAndMintOAuth } from "../test/fixtures.ts";
import { rawHttpSession, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { type LegacyUpstream, startMcpSseUpstream, startMcpWebSocketUpstream } from "../test/mcp-upstream-legacy.ts";
import { waitFor } from "../test/wait-for.ts";

// WebSocket (/ws/<slug>) and legacy HTTP+SSE (/sse/<slug>) towards clients, with the SDK's own
// client transports, through the gateway to server-everything over stdio and to SDK servers over
// Streamable HTTP, legacy SSE and WebSocket. The same pipeline as Streamable HTTP: policy, masking,
// recording, revocation, caps.

const EMAIL = "jane.doe@example.com";

let harness: TestGateway;
let http: McpHttpUpstream;
let sse: LegacyUpstream;
let socket: LegacyUpstream;
const upstreamCalls: string[] = [];

function server(): McpServer {
  const mcp = new McpServer({ name: "upstream", version: "1.0.0" });
  mcp.registerTool("echo", { description: "Echoes", inputSchema: { message: z.string() } }, async ({ message }) => {
    upstreamCalls.push("echo");
    return { content: [{ type: "text", text: `Echo: ${message}` }] };
  });
  mcp.registerTool("delete_database", { description: "Drops everything", inputSchema: {} }, async () => {
    upstreamCalls.push("delete_database");
    return { content: [{ type: "text", text: "dropped" }] };
  });
  mcp.registerTool("customer", { description: "A customer", inputSchema: {} }, async () => {
    upstreamCalls.push("customer");
    return { content: [{ type: "text", text: `Jane, ${EMAIL}` }] };
  });
  return mcp;
}

beforeAll(async () => {
  harness = await startTestGateway({ keepAliveMs: 300 });
  http = await startMcpHttpUpstream(server);
  sse = await startMcpSseUpstream(server);
  socket = await startMcpWebSocketUpstream(server);
  const add = (slug: string, transport: "streamable-http" | "sse" | "websocket", url: string) =>
    createConnection(harness.t.db, {
      actor: harness.users.carol,
      vaultKey: harness.vaultKey,
      input: { slug, name: slug, transport, url, maxMinutes: 60 },
    });
  await add("http-up", "streamable-http", http.url);
  await add("sse-up", "sse", sse.url);
  await add("ws-up", "websocket", socket.url);
});
afterAll(async () => {
  await Promise.all([http?.close(), sse?.close(), socket?.close()]);
  await harness?.stop();
});

const realWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
afterEach(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket = realWebSocket;
});

/** WebSocket close events the SDK's client sockets saw. */
const closes: Array<{ code: number; reason: string }> = [];

/**
 * The SDK's WebSocketClientTransport uses the global WebSocket (not on Node 20): it gets the `ws`
 * package's, adding the token as a header or as an extra subprotocol entry, as a client would.
 */
function provideWebSocket(options: { headers?: Record<string, string>; protocols?: string[] }) {
  class TestWebSocket extends NodeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, [...[protocols ?? []].flat(), ...(options.protocols ?? [])], { headers: options.headers ?? {} });
      this.addEventListener("close", (event) => closes.push({ code: event.code, reason: event.reason }));
    }
  }
  (globalThis as { WebSocket?: unknown }).WebSocket = TestWebSocket;
}

type ClientKind = "websocket" | "sse";

function clientTransport(kind: ClientKind, slug: string, token: string, via: "header" | "protocol" = "header"): Transport {
  if (kind === "websocket") {
    provideWebSocket(via === "header" ? { headers: { Authorization: `Bearer ${token}` } } : { protocols: [`tollgate.bearer.${token}`] });
    return new WebSocketClientTransport(new URL(`${harness.gateway.url.replace("http", "ws")}/ws/${slug}`));
  }
  return new SSEClientTransport(new URL(`${harness.gateway.url}/sse/${slug}`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
}

async function connect(kind: ClientKind, slug: string, via: "header" | "protocol" = "header") {
  const { token, grantId } = await grantAndMint(harness.t.db, {
    requester: harness.users.alice,
    approver: harness.users.bob,
    connection: slug,
  });
  const transport = clientTransport(kind, slug, token, via);
  const client = new Client({ name: `${kind}-test`, version: "1.0.0" });
  await client.connect(transport);
  const session = harness.gateway.registry.forGrant(grantId)[0]!;
  return { client, transport, token, grantId, sessionId: session.id };
}

async function sessionRow(id: string) {
  return harness.t.db.session.findUniqueOrThrow({ where: { id } });
}

describe.each(["websocket", "sse"] as const)("%s clients", (kind) => {
  it.each([
    ["everything", "stdio"],
    ["http-up", "streamable-http"],
    ["sse-up", "sse"],
    ["ws-up", "websocket"],
  ])("list and call tools on %s (a %s upstream), recorded both ways", async (slug) => {
    const { client, sessionId } = await connect(kind, slug);
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    expect(tools).toContain("echo");
    expect(await client.callTool({ name: "echo", arguments: { message: "hi" } })).toMatchObject({
      content: [{ type: "text", text: "Echo: hi" }],
    });
    const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId }, orderBy: { seq: "asc" } });
    const call = events.find((event) => event.direction === "CLIENT_TO_UPSTREAM" && event.tool === "echo");
    expect(call).toBeDefined();
    expect(events.some((event) => event.direction === "UPSTREAM_TO_CLIENT" && event.rpcId === call!.rpcId)).toBe(true);
    expect(await sessionRow(sessionId)).toMatchObject({ transport: kind, protocolVersion: expect.any(String) });
    await client.close();
    await waitFor(async () => (await sessionRow(sessionId)).endedAt !== null);
    expect(harness.gateway.registry.get(sessionId)).toBeUndefined();
  });

  it("a Streamable HTTP request carrying this session's id is told the session is not found (not a 500)", async () => {
    const { client, token, sessionId } = await connect(kind, "everything");
    const response = await fetch(`${harness.gateway.url}/mcp/everything`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": sessionId,
        "mcp-protocol-version": "2025-06-18",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
    });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: -32001, data: { reason: "SESSION_NOT_FOUND" } } });
    // The session itself goes on over its own transport.
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });

  it("applies a deny rule and masking; the upstream never sees the denied call and the recording holds no unmasked value", async () => {
    await savePolicy(harness.t.db, {
      actor: harness.users.carol,
      target: { kind: "connection", slug: "http-up" },
      document: {
        default: "allow",
        rules: [
          { kind: "guardrail", id: "no-drop", description: "No destructive tools", match: { name: "delete_*" }, action: "deny" },
          { kind: "mask", id: "pii", detectors: ["all"], style: "redact" },
        ],
      },
    });
    try {
      const { client, sessionId } = await connect(kind, "http-up");
      expect((await client.listTools()).tools.map((tool) => tool.name)).not.toContain("delete_database");
      const before = upstreamCalls.length;
      const denied = await client.callTool({ name: "delete_database", arguments: {} }).then(
        () => null,
        (error: Error & { code?: number }) => error,
      );
      expect(denied?.code).toBe(-32003);
      expect(upstreamCalls.slice(before)).not.toContain("delete_database");
      expect(await client.callTool({ name: "customer", arguments: {} })).toMatchObject({
        content: [{ type: "text", text: "Jane, [REDACTED:email]" }],
      });
      const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId } });
      expect(JSON.stringify(events.map((event) => event.payload))).not.toContain(EMAIL);
      expect(events.find((event) => event.tool === "delete_database")?.decision).toBe("deny");
      await client.close();
    } finally {
      await savePolicy(harness.t.db, {
        actor: harness.users.carol,
        target: { kind: "connection", slug: "http-up" },
        document: { default: "allow", rules: [] },
      });
    }
  });

  it("closes the client's connection when the grant is revoked", async () => {
    const { client, grantId, sessionId } = await connect(kind, "everything");
    const seen = closes.length;
    await revokeGrant(harness.t.db, { actor: harness.users.bob, grantId });
    await waitFor(async () => (await sessionRow(sessionId)).endReason === "grant revoked");
    if (kind === "websocket") {
      await waitFor(() => closes.length > seen);
      expect(closes.slice(seen)).toContainEqual({ code: 1008, reason: "grant revoked" });
    }
    await expect(client.listTools()).rejects.toThrow();
    await client.close();
  });

  it("ends the session when the OAuth access token it was opened with expires (before the grant)", async () => {
    const { token, grantId, tokenId } = await grantAndMintOAuth(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "http-up",
      clientId: "tgc_expiry-test",
      resource: `${harness.gateway.url}/${kind === "websocket" ? "ws" : "sse"}/http-up`,
      expiresAt: new Date(Date.now() + 1500),
    });
    const client = new Client({ name: `${kind}-oauth-test`, version: "1.0.0" });
    let clientSawClose = false;
    client.onclose = () => {
      clientSawClose = true;
    };
    const clientErrors: Array<Error & { code?: number }> = [];
    client.onerror = (error) => clientErrors.push(error);
    const seen = closes.length;
    // An in-process upstream (not a stdio child that takes a while to start): the session is open well before the token ends.
    await client.connect(clientTransport(kind, "http-up", token));
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    const session = harness.gateway.registry.forGrant(grantId)[0]!;
    expect(session.tokenId).toBe(tokenId);
    await waitFor(async () => (await sessionRow(session.id)).endReason !== null, 5000);
    expect(await sessionRow(session.id)).toMatchObject({ endReason: "access token expired", gatewayTokenId: tokenId });
    if (kind === "websocket") {
      await waitFor(() => clientSawClose);
      expect(closes.slice(seen)).toContainEqual({ code: 1008, reason: "access token expired" });
    } else {
      // The SDK's SSE client does not close on a lost stream: its EventSource reconnects, with the
      // expired token, and is refused 401.
      await waitFor(() => clientErrors.some((error) => error.code === 401));
    }
    // The grant lives on (15 minutes): only the token ended.
    expect((await harness.t.db.grant.findUniqueOrThrow({ where: { id: grantId } })).revokedAt).toBeNull();
    await client.close();
  });

  it("ends the session when its OAuth access token is revoked because a refresh token of its family was replayed", async () => {
    const clientId = (await registerClient(harness.t.db, { client_name: "Replay test", redirect_uris: ["http://127.0.0.1:1/cb"] }))
      .client_id;
    const resource = `${harness.gateway.url}/${kind === "websocket" ? "ws" : "sse"}/http-up`;
    const { token, grantId, tokenId } = await grantAndMintOAuth(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "http-up",
      clientId,
      resource,
      expiresAt: new Date(Date.now() + 60_000),
    });
    const client = new Client({ name: `${kind}-replay-test`, version: "1.0.0" });
    await client.connect(clientTransport(kind, "http-up", token));
    const session = harness.gateway.registry.forGrant(grantId)[0]!;
    // A refresh token of this grant and client that was already used (rotated), presented again.
    const replayed = `tgr_replayed-${kind}`;
    await harness.t.db.oAuthRefreshToken.create({
      data: {
        hash: sha256Hex(replayed),
        familyId: `family-${kind}`,
        clientId,
        userId: harness.users.alice.id,
        grantId,
        scope: "mcp",
        resource,
        expiresAt: new Date(Date.now() + 60_000),
        usedAt: new Date(),
      },
    });
    await expect(
      exchangeToken(harness.t.db, { request: { grant_type: "refresh_token", refresh_token: replayed, client_id: clientId } }),
    ).rejects.toThrow(/already used/);
    expect((await harness.t.db.gatewayToken.findUniqueOrThrow({ where: { id: tokenId } })).revokedAt).not.toBeNull();
    // Within the NOTIFY, well before the grant watcher's 5 s sweep would notice.
    await waitFor(async () => (await sessionRow(session.id)).endReason === "gateway token revoked", 3000);
    await client.close();
  });

  it("ends the session of a token revoked without a notification (the grant watcher's sweep re-reads tokens too)", async () => {
    const { client, grantId } = await connect(kind, "http-up");
    const session = harness.gateway.registry.forGrant(grantId)[0]!;
    expect(session.tokenId).not.toBeNull();
    // As if the NOTIFY were lost: the row changes, nobody is told.
    await harness.t.db.gatewayToken.update({ where: { id: session.tokenId! }, data: { revokedAt: new Date() } });
    await waitFor(async () => (await sessionRow(session.id)).endReason === "gateway token revoked", 12_000);
    await client.close();
  });
});

describe("Streamable HTTP with an OAuth access token", () => {
  it("ends a GET stream when the access token it was opened with expires; the session lives on for a fresh token", async () => {
    const url = `${harness.gateway.url}/mcp/http-up`;
    const shortLived = await grantAndMintOAuth(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "http-up",
      clientId: "tgc_get-expiry-test",
      resource: url,
      expiresAt: new Date(Date.now() + 1500),
    });
    const { headers, sessionId } = await rawHttpSession(url, shortLived.token);
    const opened = Date.now();
    const stream = await fetch(url, { headers: { ...headers, accept: "text/event-stream" } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    while (!(await reader.read()).done) {
      // keep-alives and server notifications until the gateway ends the stream
    }
    expect(Date.now() - opened).toBeLessThan(5000);
    // The token is expired now: the next request says so; the session itself was not ended.
    const refused = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 9, method: "ping" }) });
    expect(refused.status).toBe(401);
    expect((await sessionRow(sessionId)).endReason).toBeNull();
  });
});

describe("WebSocket authentication during the upgrade", () => {
  const wsUrl = (path: string) => `${harness.gateway.url.replace("http", "ws")}${path}`;

  /** A raw upgrade: the HTTP status and body it was refused with, or "open". */
  function upgrade(path: string, options: { protocols?: string[]; headers?: Record<string, string> } = {}) {
    return new Promise<{ status: number; body: string; headers: Record<string, unknown> } | "open">((resolve, reject) => {
      const raw = new NodeWebSocket(wsUrl(path), options.protocols ?? ["mcp"], { headers: options.headers ?? {} });
      raw.once("open", () => {
        expect(raw.protocol).toBe("mcp");
        raw.close();
        resolve("open");
      });
      raw.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      });
      raw.once("error", (error) => reject(error));
    });
  }

  it("answers a non-WebSocket Upgrade (h2c) with a clear 400 instead of a confusing 404", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${harness.gateway.url}/mcp/everything`, {
        method: "GET",
        headers: { connection: "Upgrade, HTTP2-Settings", upgrade: "h2c", "http2-settings": "AAMAAABkAARAAAAAAAIAAAAA" },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(status.status).toBe(400);
    expect(status.body).toMatch(/does not switch to \\"h2c\\"|does not switch to "h2c"/);
  });

  it("refuses an unauthenticated upgrade with 401 before upgrading", async () => {
    const refused = await upgrade("/ws/everything");
    expect(refused).toMatchObject({ status: 401, headers: { "www-authenticate": expect.stringMatching(/^Bearer/) } });
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({ error: { code: -32011, data: { reason: "UNAUTHENTICATED" } } });
  });

  it("refuses a token in the URL, even a valid one, and an unknown connection", async () => {
    const { token } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    for (const path of [`/ws/everything?token=${token}`, `/ws/everything?access_token=${token}`, `/ws/everything?x=${token}`]) {
      const refused = await upgrade(path);
      expect(refused).toMatchObject({ status: 401 });
      expect((refused as { body: string }).body).toMatch(/token in the URL is refused/);
    }
    const sseRefused = await fetch(`${harness.gateway.url}/sse/everything?access_token=${token}`);
    expect(sseRefused.status).toBe(401);
    const unknown = await upgrade("/ws/nope", { headers: { Authorization: `Bearer ${token}` } });
    expect(unknown).toMatchObject({ status: 404, body: expect.stringContaining("UNKNOWN_CONNECTION") });
    expect(await upgrade("/elsewhere", { headers: { Authorization: `Bearer ${token}` } })).toMatchObject({ status: 404 });
    // A grant for another connection.
    expect(await upgrade("/ws/http-up", { headers: { Authorization: `Bearer ${token}` } })).toMatchObject({ status: 403 });
  });

  it("accepts the token as a Sec-WebSocket-Protocol entry, selecting only mcp, and refuses a subprotocol list without mcp", async () => {
    const { client, token, sessionId } = await connect("websocket", "everything", "protocol");
    expect((await client.callTool({ name: "echo", arguments: { message: "via protocol" } })).content).toEqual([
      { type: "text", text: "Echo: via protocol" },
    ]);
    const row = await sessionRow(sessionId);
    expect(row.transport).toBe("websocket");
    await client.close();
    expect(await upgrade("/ws/everything", { protocols: [`tollgate.bearer.${token}`] })).toMatchObject({ status: 400 });
    expect(await upgrade("/ws/everything", { protocols: ["mcp", "tollgate.bearer.tgg_not-a-real-token"] })).toMatchObject({ status: 401 });
    // Nothing of the token reached the log.
    expect(harness.logs.join("\n")).not.toContain(token);
  });

  it("keeps an idle socket open with pings, and ends the session when the client goes away", async () => {
    const { token, grantId } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const raw = new NodeWebSocket(wsUrl("/ws/everything"), ["mcp"], { headers: { Authorization: `Bearer ${token}` } });
    let pings = 0;
    raw.on("ping", () => {
      pings += 1;
    });
    await new Promise((resolve) => raw.once("open", resolve));
    await waitFor(() => pings >= 2);
    expect(raw.readyState).toBe(NodeWebSocket.OPEN);
    const sessionId = harness.gateway.registry.forGrant(grantId)[0]!.id;
    raw.terminate();
    await waitFor(async () => (await sessionRow(sessionId)).endReason === "client went away");
  });

  it("records the SDK client's close (a close frame without a status code: 1005) as the client ending the session", async () => {
    const { client, sessionId } = await connect("websocket", "everything");
    await client.close();
    await waitFor(async () => (await sessionRow(sessionId)).endReason !== null);
    expect(closes.at(-1)?.code).toBe(1005);
    expect((await sessionRow(sessionId)).endReason).toBe("client ended session");
  });
});

describe("legacy SSE wire format", () => {
  it("announces the POST endpoint, answers on the stream, sends keep-alive comments, and refuses POSTs from another grant", async () => {
    const { token } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const other = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const abort = new AbortController();
    const stream = await fetch(`${harness.gateway.url}/sse/everything`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
      signal: abort.signal,
    });
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const reader = stream.body!.getReader();
    let text = "";
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += new TextDecoder().decode(value);
      }
      return pattern.exec(text)!;
    };
    const endpoint = (await readUntil(/event: endpoint\ndata: (\S+)\n\n/))[1]!;
    expect(endpoint).toMatch(/^\/sse\/everything\/messages\?sessionId=/);
    const post = (authorization: string, body: unknown) =>
      fetch(`${harness.gateway.url}${endpoint}`, {
        method: "POST",
        headers: { Authorization: authorization, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2024-11-05", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    };
    expect((await post(`Bearer ${other.token}`, initialize)).status).toBe(404);
    expect((await post("", initialize)).status).toBe(401);
    expect((await post(`Bearer ${token}`, { not: "json-rpc" })).status).toBe(400);
    expect((await post(`Bearer ${token}`, initialize)).status).toBe(202);
    await readUntil(/event: message\ndata: \{[^\n]*"id":1[^\n]*"serverInfo"/);
    await readUntil(/\n: keep-alive\n\n/);
    abort.abort();
  });
});
