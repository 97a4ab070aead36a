import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { postSessionless, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type JsonUpstream, startJsonUpstream } from "../test/json-upstream.ts";

// 2026-07-28: sessionless POSTs (no initialize, no Mcp-Session-Id), Mcp-Method / Mcp-Name checked
// against the body, and the client's connection + grant grouped into one recorded session.

let harness: TestGateway;
let upstream: JsonUpstream;
let token: string;
const seen: Array<{ name: string | undefined; headers: http.IncomingHttpHeaders }> = [];

beforeAll(async () => {
  harness = await startTestGateway();
  upstream = await startJsonUpstream({
    tools: ["echo", "delete_everything"],
    onCall: (request, headers, res) => {
      seen.push({ name: request.params?.name, headers });
      const version = headers["mcp-protocol-version"];
      if (version !== "2026-07-28") {
        // A 2026-07-28 server that does not implement the version asked for: 400 and UnsupportedProtocolVersionError.
        const error = { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28"], requested: version } };
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: request.id, error }));
        return null;
      }
      return {
        result: { resultType: "complete", content: [{ type: "text", text: `Echo: ${String(request.params?.arguments?.message)}` }] },
      };
    },
  });
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "stateless", name: "Stateless", transport: "streamable-http", url: upstream.url, maxMinutes: 30 },
  });
  ({ token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "stateless" }));
});
afterAll(async () => {
  await harness?.stop();
  await upstream?.close();
});

const meta = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "raw", version: "1" },
};

/** One sessionless POST on `agent` (one TCP connection: one client connection). */
function post(agent: http.Agent, body: unknown, headers: Record<string, string>) {
  return postSessionless(`${harness.gateway.url}/mcp/stateless`, { agent, token, body, headers });
}

const call = (id: number, name: string, version = "2026-07-28") => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, arguments: { message: `m${id}` }, _meta: { ...meta, "io.modelcontextprotocol/protocolVersion": version } },
});
const echo = { "mcp-method": "tools/call", "mcp-name": "echo" };

describe("2026-07-28 sessionless Streamable HTTP", () => {
  it("answers sessionless calls without initialize, passes Mcp-Method/Mcp-Name upstream, and records one session per client connection", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await post(agent, call(1, "echo"), { "mcp-method": "tools/call", "mcp-name": "echo" });
    expect(first.status).toBe(200);
    expect(first.type).toContain("application/json");
    expect(first.json).toMatchObject({ id: 1, result: { resultType: "complete", content: [{ text: "Echo: m1" }] } });
    const second = await post(agent, call(2, "echo"), { "mcp-method": "tools/call", "mcp-name": "echo" });
    expect(second.json).toMatchObject({ id: 2, result: { content: [{ text: "Echo: m2" }] } });
    expect(seen.at(-1)?.headers).toMatchObject({ "mcp-method": "tools/call", "mcp-name": "echo", "mcp-protocol-version": "2026-07-28" });
    agent.destroy();

    const sessions = await harness.t.db.session.findMany({ where: { connection: { slug: "stateless" } }, include: { events: true } });
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.protocolVersion).toBe("2026-07-28");
    expect(sessions[0]!.events.filter((event) => event.method === "tools/call" && event.direction === "CLIENT_TO_UPSTREAM")).toHaveLength(
      2,
    );
    await expect
      .poll(async () => (await harness.t.db.session.findUniqueOrThrow({ where: { id: sessions[0]!.id } })).endReason, { timeout: 5000 })
      .toBe("client went away");
  });

  it("refuses a header that names a harmless tool while the body calls another: 400, -32020, never forwarded", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = seen.length;
    const refused = await post(agent, call(3, "delete_everything"), { "mcp-method": "tools/call", "mcp-name": "echo" });
    expect(refused.status).toBe(400);
    // The refusal names the request it refuses.
    expect(refused.json).toMatchObject({ id: 3, error: { code: -32020, data: { reason: "HEADER_MISMATCH" } } });
    expect(seen.length).toBe(before);
    agent.destroy();
  });

  it("passes a version the gateway does not know to the upstream, whose UnsupportedProtocolVersionError reaches the client as sent", async () => {
    // The client asks first in a version nobody implements, then in 2026-07-28, on one connection:
    // each request goes upstream naming its own version, and the refusal keeps its 400 and its data.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (const [id, requested] of [
      [10, "v999.0.0"],
      [12, "2099-01-01"],
    ] as const) {
      const refused = await post(agent, call(id, "echo", requested), { ...echo, "mcp-protocol-version": requested });
      expect(refused.status).toBe(400);
      expect(refused.json).toEqual({
        jsonrpc: "2.0",
        id,
        error: { code: -32022, message: "Unsupported protocol version", data: { supported: ["2026-07-28"], requested } },
      });
      expect(seen.at(-1)?.headers["mcp-protocol-version"]).toBe(requested);
      const answered = await post(agent, call(id + 1, "echo"), echo);
      expect(answered).toMatchObject({ status: 200, json: { id: id + 1, result: { content: [{ text: `Echo: m${id + 1}` }] } } });
    }
    agent.destroy();
  });

  it("refuses a request whose MCP-Protocol-Version header is not its _meta version, or that leaves out Mcp-Method: 400, -32020, never forwarded", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const before = seen.length;
    const versions = await post(agent, call(20, "echo", "2099-01-01"), { ...echo, "mcp-protocol-version": "2026-07-28" });
    expect(versions).toMatchObject({ status: 400, json: { id: 20, error: { code: -32020, data: { reason: "HEADER_MISMATCH" } } } });
    const noMethod = await post(agent, call(21, "echo"), {});
    expect(noMethod).toMatchObject({
      status: 400,
      json: { id: 21, error: { code: -32020, message: expect.stringMatching(/Mcp-Method/) } },
    });
    expect(seen.length).toBe(before);
    agent.destroy();
  });
});
