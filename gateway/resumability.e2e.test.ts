import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { rawHttpSession, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// 2025-11-25 resumability of POST streams towards clients: the SDK client → gateway → an SDK
// McpServer whose `slow` tool waits for the test. The client's POST stream is cut mid-call; the
// SDK client resumes it with GET + Last-Event-ID after the gateway's `retry`, and gets the rest of
// that stream only (the progress it missed, then the result).

let harness: TestGateway;
let upstream: McpHttpUpstream;
let token: string;
/** Releases the upstream's `slow` calls, by the `tag` argument. */
const gates = new Map<string, () => void>();

function slowServer(): McpServer {
  const server = new McpServer({ name: "slow", version: "1.0.0" });
  server.registerTool("slow", { description: "Answers when the test says so" }, async (extra) => {
    const token = extra._meta?.progressToken;
    const progress = (n: number) =>
      token === undefined
        ? Promise.resolve()
        : extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: n, total: 2 } });
    await progress(1);
    await new Promise<void>((resolve) => gates.set(String(token), resolve));
    await progress(2);
    return { content: [{ type: "text", text: "slow done" }] };
  });
  return server;
}

beforeAll(async () => {
  harness = await startTestGateway();
  upstream = await startMcpHttpUpstream(slowServer);
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "slow", name: "Slow", transport: "streamable-http", url: upstream.url, maxMinutes: 30 },
  });
  ({ token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "slow" }));
});
afterAll(async () => {
  await harness?.stop();
  await upstream?.close();
});

/** A fetch whose tools/call SSE responses the test can cut, as a network drop would. */
function droppingFetch() {
  const cuts: Array<() => void> = [];
  const seen: Array<{ method: string; lastEventId: string | null }> = [];
  const dropping = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    seen.push({ method: init?.method ?? "GET", lastEventId: headers.get("last-event-id") });
    const response = await fetch(input, init);
    const isCall = init?.method === "POST" && String(init.body).includes('"tools/call"');
    if (!isCall || !response.body || !(response.headers.get("content-type") ?? "").includes("text/event-stream")) return response;
    const reader = response.body.getReader();
    let cut = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        cuts.push(() => {
          cut = true;
          void reader.cancel().catch(() => undefined);
          controller.error(new TypeError("network connection lost"));
        });
      },
      async pull(controller) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (cut) return;
        if (done) controller.close();
        else controller.enqueue(value);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: dropping, cut: () => cuts.shift()?.(), seen };
}

describe("POST stream resumability (2025-11-25)", () => {
  it("the SDK client resumes a cut tools/call stream with GET + Last-Event-ID and gets the rest of it", async () => {
    const network = droppingFetch();
    const transport = new StreamableHTTPClientTransport(new URL(`${harness.gateway.url}/mcp/slow`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
      fetch: network.fetch,
    });
    const client = new Client({ name: "resuming-client", version: "1.0.0" });
    await client.connect(transport);
    expect(transport.protocolVersion).toBe("2025-11-25");

    const progress: number[] = [];
    const tokens: string[] = [];
    const call = client.callTool({ name: "slow", arguments: {} }, undefined, {
      onprogress: (p) => progress.push(p.progress),
      onresumptiontoken: (id) => tokens.push(id),
    });
    // The gateway streams the call (progress came first): a priming event, then the progress, each with an id.
    await waitFor(() => progress.length === 1);
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(tokens.every((id) => /^\d+-\d+$/.test(id))).toBe(true);
    const streamOf = tokens[0]!.split("-")[0];
    expect(tokens.every((id) => id.startsWith(`${streamOf}-`))).toBe(true);

    const lastSeen = tokens.at(-1);
    network.cut();
    // The gateway notices the client is gone from the stream before the upstream answers.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const gate = await waitFor(() => [...gates.values()][0]);
    gates.clear();
    gate();

    const result = await call;
    expect(result.content).toEqual([{ type: "text", text: "slow done" }]);
    expect(progress).toEqual([1, 2]);
    // The SDK client came back with the last id it saw, on the gateway's retry.
    const resumption = network.seen.find((request) => request.method === "GET" && request.lastEventId !== null);
    expect(resumption?.lastEventId).toBe(lastSeen);
    await client.close();
  });

  it("a resumed stream carries only its own stream's messages", async () => {
    const { sessionId, headers, post } = await rawHttpSession(`${harness.gateway.url}/mcp/slow`, token);
    const call = (id: number, progressToken: string) => {
      const abort = new AbortController();
      const response = post(
        { jsonrpc: "2.0", id, method: "tools/call", params: { name: "slow", arguments: {}, _meta: { progressToken } } },
        { signal: abort.signal },
      );
      return { response, abort };
    };
    const a = call(1, "a");
    const b = call(2, "b");
    const readerA = (await a.response).body!.getReader();
    let seenA = "";
    while (!seenA.includes('"progress":1')) seenA += new TextDecoder().decode((await readerA.read()).value);
    const lastA = [...seenA.matchAll(/^id: (\S+)$/gm)].at(-1)![1]!;
    a.abort.abort();
    await waitFor(() => gates.has("a") && gates.has("b"));
    // A's stream is lost; both calls finish meanwhile.
    gates.get("b")!();
    expect(await (await b.response).text()).toContain('"id":2');
    gates.get("a")!();
    await new Promise((resolve) => setTimeout(resolve, 100));

    const resumed = await fetch(`${harness.gateway.url}/mcp/slow`, {
      headers: { ...headers, accept: "text/event-stream", "last-event-id": lastA },
    });
    const replay = await resumed.text();
    expect(replay).toContain('"progressToken":"a","progress":2');
    expect(replay).toContain('"text":"slow done"}]},"jsonrpc":"2.0","id":1}');
    expect(replay).not.toContain('"progressToken":"b"');
    expect(replay).not.toContain('"id":2');
    expect(replay).not.toContain('"progress":1');
    // Recorded once each, like any answer.
    const answers = await harness.t.db.sessionEvent.count({ where: { sessionId, direction: "UPSTREAM_TO_CLIENT", rpcId: "1" } });
    expect(answers).toBe(1);
  });
});
