import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import type { TestDatabase } from "../test/postgres.ts";
import type { Gateway } from "./server.ts";

// The gateway is transparent to the protocol revision: a raw Streamable HTTP client speaking
// each sessionful revision negotiates that revision with the upstream and calls a tool.

let harness: TestGateway;
let t: TestDatabase;
let gateway: Gateway;
let token: string;

beforeAll(async () => {
  harness = await startTestGateway();
  ({ t, gateway } = harness);
  ({ token } = await grantAndMint(t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "everything" }));
});
afterAll(async () => harness?.stop());

/** Reads the JSON-RPC messages of a response, whether sent as JSON or as an SSE stream. */
async function messages(response: Response): Promise<Array<Record<string, unknown>>> {
  const text = await response.text();
  if (!(response.headers.get("content-type") ?? "").includes("text/event-stream")) return text ? [JSON.parse(text)].flat() : [];
  return text
    .split("\n")
    .filter((line) => line.startsWith("data:") && line.slice(5).trim() !== "")
    .map((line) => JSON.parse(line.slice(5)) as Record<string, unknown>);
}

describe.each(["2025-03-26", "2025-06-18", "2025-11-25"])("protocol revision %s", (version) => {
  it("initializes, lists tools and calls echo through the gateway", async () => {
    const base = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const post = (body: unknown, sessionId?: string) =>
      fetch(`${gateway.url}/mcp/everything`, {
        method: "POST",
        // 2025-03-26 clients send no MCP-Protocol-Version header; later revisions must.
        headers: {
          ...base,
          ...(sessionId ? { "mcp-session-id": sessionId } : {}),
          ...(sessionId && version !== "2025-03-26" ? { "mcp-protocol-version": version } : {}),
        },
        body: JSON.stringify(body),
      });

    const init = await post({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: version, capabilities: {}, clientInfo: { name: `raw-${version}`, version: "1" } },
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get("mcp-session-id")!;
    const [initResult] = await messages(init);
    expect(initResult).toMatchObject({ id: 1, result: { protocolVersion: version, serverInfo: { name: expect.any(String) } } });

    expect((await post({ jsonrpc: "2.0", method: "notifications/initialized" }, sessionId)).status).toBe(202);
    const listed = await messages(await post({ jsonrpc: "2.0", id: 2, method: "tools/list" }, sessionId));
    expect(JSON.stringify(listed)).toContain('"echo"');
    const called = await messages(
      await post({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { message: version } } }, sessionId),
    );
    expect(called.find((m) => m.id === 3)).toMatchObject({ result: { content: [{ type: "text", text: `Echo: ${version}` }] } });

    const session = await t.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session.protocolVersion).toBe(version);
    const ended = await fetch(`${gateway.url}/mcp/everything`, {
      method: "DELETE",
      headers: { ...base, "mcp-session-id": sessionId, "mcp-protocol-version": version },
    });
    expect(ended.status).toBe(200);
  });
});
