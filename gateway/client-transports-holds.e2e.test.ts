import { randomBytes } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { WebSocketClientTransport } from "@modelcontextprotocol/sdk/client/websocket.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { z } from "zod";
import { decideHeldCall } from "../lib/held-calls/decide-held-call.ts";
import { createHeldSqlConnection, grantAndMint } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// Held calls and session caps over the WebSocket and legacy SSE client transports: the same
// GatewaySession pipeline as Streamable HTTP, so a require-approval call waits (with progress
// notifications) and goes upstream once approved, and a session past a cap is refused before it opens.

let harness: TestGateway;
let upstream: McpHttpUpstream;
const upstreamCalls: string[] = [];

function server(): McpServer {
  const mcp = new McpServer({ name: "db", version: "1.0.0" });
  mcp.registerTool("run_sql", { description: "Runs SQL", inputSchema: { sql: z.string() } }, async ({ sql }) => {
    upstreamCalls.push(sql);
    return { content: [{ type: "text", text: `ran ${sql}` }] };
  });
  return mcp;
}

beforeAll(async () => {
  harness = await startTestGateway({ maxSessionsPerGrant: 1, holdProgressMs: 200, keepAliveMs: 1_000 });
  upstream = await startMcpHttpUpstream(server);
  await createHeldSqlConnection(harness, upstream.url);
});
afterAll(async () => {
  await upstream?.close();
  await harness?.stop();
});

const realWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket;
afterEach(() => {
  (globalThis as { WebSocket?: unknown }).WebSocket = realWebSocket;
});

function transportFor(kind: "websocket" | "sse", token: string): Transport {
  if (kind === "websocket") {
    // The SDK's WebSocketClientTransport uses the global WebSocket: the `ws` package's, with the token header.
    (globalThis as { WebSocket?: unknown }).WebSocket = class extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { headers: { Authorization: `Bearer ${token}` } });
      }
    };
    return new WebSocketClientTransport(new URL(`${harness.gateway.url.replace("http", "ws")}/ws/db`));
  }
  return new SSEClientTransport(new URL(`${harness.gateway.url}/sse/db`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
}

describe.each(["websocket", "sse"] as const)("%s clients", (kind) => {
  it("hold a require-approval call, with progress, until it is approved; then it reaches the upstream once", async () => {
    const { token, grantId } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "db",
    });
    const client = new Client({ name: "held", version: "1.0.0" });
    await client.connect(transportFor(kind, token));
    const sessionId = harness.gateway.registry.forGrant(grantId)[0]!.id;
    upstreamCalls.length = 0;
    const progress: Progress[] = [];
    const result = client.callTool({ name: "run_sql", arguments: { sql: `select ${kind}` } }, undefined, {
      onprogress: (update) => progress.push(update),
      resetTimeoutOnProgress: true,
    });
    const held = await waitFor(() => harness.t.db.heldCall.findFirst({ where: { sessionId, status: "PENDING" } }));
    await waitFor(() => progress.length >= 2);
    expect(upstreamCalls).toEqual([]);
    await decideHeldCall(harness.t.db, { actor: harness.users.bob, heldCallId: held.id, decision: "APPROVE", hashKey: randomBytes(32) });
    expect(await result).toMatchObject({ content: [{ type: "text", text: `ran select ${kind}` }] });
    expect(upstreamCalls).toEqual([`select ${kind}`]);
    const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId, tool: "run_sql" }, orderBy: { seq: "asc" } });
    expect(events.map((event) => [event.direction, event.decision])).toEqual([
      ["CLIENT_TO_UPSTREAM", "require-approval"],
      ["GATEWAY_TO_UPSTREAM", "approved"],
    ]);
    await client.close();
    await waitFor(() => harness.gateway.registry.forGrant(grantId).length === 0);
  });

  it("refuse a session past the per-grant cap with 429 before it opens, and allow one once the first has ended", async () => {
    const { token, grantId } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "db",
    });
    const first = new Client({ name: "first", version: "1.0.0" });
    await first.connect(transportFor(kind, token));
    if (kind === "websocket") {
      const status = await new Promise<number>((resolve, reject) => {
        const raw = new NodeWebSocket(`${harness.gateway.url.replace("http", "ws")}/ws/db`, ["mcp"], {
          headers: { Authorization: `Bearer ${token}` },
        });
        raw.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        raw.once("open", () => reject(new Error("upgraded past the cap")));
      });
      expect(status).toBe(429);
    } else {
      const refused = await fetch(`${harness.gateway.url}/sse/db`, { headers: { Authorization: `Bearer ${token}` } });
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: { data: { reason: "LIMIT_REACHED", limit: "sessions-per-grant", max: 1 } } });
    }
    await first.close();
    await waitFor(() => harness.gateway.registry.forGrant(grantId).length === 0);
    const second = new Client({ name: "second", version: "1.0.0" });
    await second.connect(transportFor(kind, token));
    await second.close();
  });
});
