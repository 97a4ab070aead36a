import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { postSessionless, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";

// 2026-07-28 `Mcp-Param-*` headers: a tool marks an argument (`x-mcp-header: "Region"`); the
// gateway learns the mark from the tools/list answer its client was sent, checks the client's
// `Mcp-Param-Region` against the body (mismatch, unknown or missing → 400 / -32020, never
// forwarded), and sends the upstream its own header derived from the body.

let harness: TestGateway;
let upstream: http.Server;
let token: string;
const calls: http.IncomingHttpHeaders[] = [];

const tools = [
  {
    name: "query",
    inputSchema: {
      type: "object",
      properties: { region: { type: "string", "x-mcp-header": "Region" }, sql: { type: "string" } },
    },
  },
  { name: "plain", inputSchema: { type: "object", properties: { a: { type: "string" } } } },
];

beforeAll(async () => {
  harness = await startTestGateway();
  upstream = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      const message = JSON.parse(text) as { id?: number; method: string };
      if (message.id === undefined) return void res.writeHead(202).end();
      if (message.method === "tools/call") calls.push(req.headers);
      const result = message.method === "tools/list" ? { resultType: "complete", tools } : { resultType: "complete", content: [] };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: message.id, result }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/mcp`;
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "params", name: "Params", transport: "streamable-http", url, maxMinutes: 30 },
  });
  ({ token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "params" }));
});
afterAll(async () => {
  await harness?.stop();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

const meta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
};

/** One sessionless POST on `agent` (one TCP connection: one client connection). */
function post(agent: http.Agent, body: unknown, headers: Record<string, string>) {
  return postSessionless(`${harness.gateway.url}/mcp/params`, { agent, token, body, headers });
}

const query = (id: number, region: string) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name: "query", arguments: { region, sql: "select 1" }, _meta: meta },
});
const named = { "mcp-method": "tools/call", "mcp-name": "query" };

describe("Mcp-Param-* headers (2026-07-28)", () => {
  it("checks them against the body once the client was shown the tool's marks, and sends the upstream its own", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const listed = await post(
      agent,
      { jsonrpc: "2.0", id: 1, method: "tools/list", params: { _meta: meta } },
      { "mcp-method": "tools/list" },
    );
    expect(listed.status).toBe(200);

    const ok = await post(agent, query(2, "us-west1"), { ...named, "mcp-param-region": "us-west1" });
    expect(ok).toMatchObject({ status: 200, json: { id: 2, result: {} } });
    expect(calls.at(-1)).toMatchObject({ "mcp-param-region": "us-west1", "mcp-name": "query" });
    // Non-ASCII values travel base64-encoded.
    const encoded = await post(agent, query(3, "zürich"), {
      ...named,
      "mcp-param-region": `=?base64?${Buffer.from("zürich").toString("base64")}?=`,
    });
    expect(encoded.status).toBe(200);
    expect(calls.at(-1)?.["mcp-param-region"]).toBe(`=?base64?${Buffer.from("zürich").toString("base64")}?=`);

    const before = calls.length;
    for (const [headers, what] of [
      [{ ...named, "mcp-param-region": "eu-west1" }, /does not match/],
      [{ ...named, "mcp-param-region": "us-west1", "mcp-param-tenant": "acme" }, /not an argument/],
      [named, /requires an Mcp-Param-region/],
    ] as const) {
      const refused = await post(agent, query(4, "us-west1"), headers);
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ id: 4, error: { code: -32020, message: expect.stringMatching(what) } });
    }
    // A tool that marks nothing takes no Mcp-Param-* header.
    const plain = await post(
      agent,
      { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "plain", arguments: { a: "x" }, _meta: meta } },
      { "mcp-method": "tools/call", "mcp-name": "plain", "mcp-param-a": "x" },
    );
    expect(plain).toMatchObject({ status: 400, json: { id: 5, error: { code: -32020 } } });
    expect(calls.length).toBe(before);
    agent.destroy();
  });
});
