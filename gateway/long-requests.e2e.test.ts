import http, { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// Requests that legitimately outlive the gateway's request timeout (here 500 ms):
// - a 2026-07-28 `subscriptions/listen` stream is open by design: no timeout; it delivers
//   notifications for as long as the client keeps it, and closing it cancels it upstream;
// - a call that keeps reporting progress keeps running (each progress notification restarts the
//   timeout), but not past the gateway's maximum for one request (here 3 s).

const TIMEOUT_MS = 500;
const MAX_MS = 3000;
let harness: TestGateway;
let ticking: McpHttpUpstream;
let listening: Server;
/** What the raw 2026-07-28 upstream received, by method. */
const received: Array<{ method: string; params?: unknown }> = [];
let listenToken: string;
/** The upstream's subscriptions/listen responses closed so far. */
let listensClosed = 0;
let tickToken: string;

function tickingServer(): McpServer {
  const server = new McpServer({ name: "ticking", version: "1.0.0" });
  server.registerTool(
    "tick",
    { description: "Reports progress every 150 ms for `ms`", inputSchema: { ms: z.number() } },
    async ({ ms }, extra) => {
      const token = extra._meta?.progressToken;
      const until = Date.now() + ms;
      let n = 0;
      while (Date.now() < until && !extra.signal.aborted) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        n += 1;
        if (token !== undefined && !extra.signal.aborted) {
          await extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n } });
        }
      }
      return { content: [{ type: "text", text: `ticked ${n}` }] };
    },
  );
  return server;
}

/** A raw 2026-07-28 upstream: `subscriptions/listen` is an SSE stream sending list-changed notifications every 300 ms. */
function startListeningUpstream(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "POST") return void res.writeHead(405).end();
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      const message = JSON.parse(text) as { id?: number | string; method: string; params?: unknown };
      received.push({ method: message.method, params: message.params });
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === "subscriptions/listen") {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        let n = 0;
        const timer = setInterval(() => {
          n += 1;
          const note = { jsonrpc: "2.0", method: "notifications/tools/list_changed", params: { _meta: { n } } };
          res.write(`event: message\ndata: ${JSON.stringify(note)}\n\n`);
        }, 300);
        res.once("close", () => {
          clearInterval(timer);
          listensClosed += 1;
        });
        return;
      }
      const result = { resultType: "complete", content: [{ type: "text", text: "ok" }] };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  harness = await startTestGateway({ requestTimeoutMs: TIMEOUT_MS, requestMaxMs: MAX_MS });
  ticking = await startMcpHttpUpstream(tickingServer);
  listening = await startListeningUpstream();
  const actor = harness.users.carol;
  await createConnection(harness.t.db, {
    actor,
    vaultKey: harness.vaultKey,
    input: { slug: "ticking", name: "Ticking", transport: "streamable-http", url: ticking.url, maxMinutes: 30 },
  });
  await createConnection(harness.t.db, {
    actor,
    vaultKey: harness.vaultKey,
    input: {
      slug: "listening",
      name: "Listening",
      transport: "streamable-http",
      url: `http://127.0.0.1:${(listening.address() as AddressInfo).port}/mcp`,
      maxMinutes: 30,
    },
  });
  const users = { requester: harness.users.alice, approver: harness.users.bob };
  ({ token: tickToken } = await grantAndMint(harness.t.db, { ...users, connection: "ticking" }));
  ({ token: listenToken } = await grantAndMint(harness.t.db, { ...users, connection: "listening" }));
});
afterAll(async () => {
  await harness?.stop();
  await ticking?.close();
  listening?.closeAllConnections();
  await new Promise((resolve) => listening?.close(resolve));
});

describe("long-lived requests and the request timeout", () => {
  it("a subscriptions/listen stream stays open past the request timeout and keeps delivering notifications; closing it cancels it upstream", async () => {
    const events: Array<{ at: number; data: unknown }> = [];
    const started = Date.now();
    const request = http.request(`${harness.gateway.url}/mcp/listening`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${listenToken}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "subscriptions/listen",
      },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      request.on("response", resolve);
      request.on("error", reject);
    });
    request.end(
      JSON.stringify({
        jsonrpc: "2.0",
        id: 7,
        method: "subscriptions/listen",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } },
      }),
    );
    const res = await response;
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("text/event-stream");
    let buffer = "";
    res.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split("\n")
          .filter((line) => line.startsWith("data: "))
          .map((line) => line.slice(6))
          .join("");
        if (data.trim()) events.push({ at: Date.now() - started, data: JSON.parse(data) });
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
      }
    });
    // Four timeouts later, still open and still delivering.
    await waitFor(() => events.filter((event) => event.at > 4 * TIMEOUT_MS).length >= 2, 5000);
    expect(events.every((event) => (event.data as { method?: string }).method === "notifications/tools/list_changed")).toBe(true);
    expect(events.some((event) => "error" in (event.data as object))).toBe(false);
    expect(received.filter((message) => message.method === "notifications/cancelled")).toEqual([]);
    res.destroy();
    request.destroy();
    // The client closed its stream: the request is over, upstream too.
    await waitFor(() => listensClosed === 1, 5000);
    expect(await harness.gateway.metrics.render()).not.toContain('reason="UPSTREAM_TIMEOUT"');
  });

  it("a call that keeps reporting progress runs past the request timeout and gets its answer", async () => {
    const { client, transport } = mcpClient(harness.gateway.url, tickToken, "ticking");
    await client.connect(transport);
    const progress: number[] = [];
    const result = await client.callTool({ name: "tick", arguments: { ms: 4 * TIMEOUT_MS } }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      resetTimeoutOnProgress: true,
    });
    expect(result).toMatchObject({ content: [{ type: "text", text: expect.stringMatching(/^ticked \d+$/) }] });
    expect(progress.length).toBeGreaterThan(5);
    await transport.terminateSession();
    await client.close();
  });

  it("…but not past the gateway's maximum for one request; without progress the timeout still applies", async () => {
    const { client, transport } = mcpClient(harness.gateway.url, tickToken, "ticking");
    await client.connect(transport);
    const started = Date.now();
    await expect(
      client.callTool({ name: "tick", arguments: { ms: 3 * MAX_MS } }, undefined, {
        onprogress: () => undefined,
        resetTimeoutOnProgress: true,
      }),
    ).rejects.toThrow(/did not answer within 3 s, the longest the gateway lets a request run/);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(MAX_MS - 100);
    expect(took).toBeLessThan(MAX_MS + 1500);
    // No progress token: nothing restarts the timeout.
    await expect(client.callTool({ name: "tick", arguments: { ms: 4 * TIMEOUT_MS } })).rejects.toThrow(/did not answer within 1 s;/);
    await transport.terminateSession();
    await client.close();
  });
});
