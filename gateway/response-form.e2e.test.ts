import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { rawHttpSession, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type JsonUpstream, startJsonUpstream } from "../test/json-upstream.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";

// A request answered by the upstream with an SSE stream is answered with an SSE stream through the
// gateway too, and a JSON answer stays JSON: a client sees the same kind of response either way
// (the conformance suite's server-sse-multiple-streams checks that concurrent POST streams work).

let harness: TestGateway;
let streaming: McpHttpUpstream;
let json: JsonUpstream;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  harness = await startTestGateway();
  // The SDK's server transport answers every request with an SSE stream (enableJsonResponse is off).
  streaming = await startMcpHttpUpstream(() => {
    const server = new McpServer({ name: "streaming", version: "1.0.0" });
    server.registerTool("ping_tool", { description: "answers pong" }, async () => ({ content: [{ type: "text", text: "pong" }] }));
    return server;
  });
  json = await startJsonUpstream({ tools: ["ping_tool"] });
  for (const [slug, url] of [
    ["streaming", streaming.url],
    ["json", json.url],
  ] as const) {
    await createConnection(harness.t.db, {
      actor: harness.users.carol,
      vaultKey: harness.vaultKey,
      input: { slug, name: slug, transport: "streamable-http", url, maxMinutes: 30 },
    });
    ({ token: tokens[slug] } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: slug,
    }));
  }
});
afterAll(async () => {
  await harness?.stop();
  await streaming?.close();
  await json?.close();
});

/** Opens a 2025-11-25 session on `slug` and returns a poster for it. */
async function session(slug: string) {
  return (await rawHttpSession(`${harness.gateway.url}/mcp/${slug}`, tokens[slug]!)).post;
}

/** The JSON-RPC messages of an SSE body (priming events have empty data). */
function events(text: string): unknown[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("data:") && line.slice(5).trim() !== "")
    .map((line) => JSON.parse(line.slice(5)) as unknown);
}

describe("the form of an answer follows the upstream's", () => {
  it("streams concurrent answers the upstream streamed, each on its own POST stream", async () => {
    const post = await session("streaming");
    const responses = await Promise.all([1, 2, 3].map((id) => post({ jsonrpc: "2.0", id, method: "tools/list" })));
    for (const [index, response] of responses.entries()) {
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      const messages = events(await response.text());
      expect(messages).toEqual([{ jsonrpc: "2.0", id: index + 1, result: { tools: [expect.objectContaining({ name: "ping_tool" })] } }]);
    }
  });

  it("answers with one JSON body what the upstream answered with JSON", async () => {
    const post = await session("json");
    const response = await post({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(await response.json()).toMatchObject({ id: 1, result: { tools: [{ name: "ping_tool" }] } });
  });
});
