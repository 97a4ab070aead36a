import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type LegacyUpstream, startMcpSseUpstream, startMcpWebSocketUpstream } from "../test/mcp-upstream-legacy.ts";
import { waitFor } from "../test/wait-for.ts";

// Upstreams over the legacy HTTP+SSE transport and over WebSocket, chosen per connection: the SDK
// client → gateway (Streamable HTTP) → a real SDK McpServer behind the SDK's SSEServerTransport or a
// `ws` server. The connection's credential reaches the upstream; the client's token never does.

const CREDENTIAL = "Bearer upstream-secret-credential-1234";

let harness: TestGateway;
const upstreams: Record<string, LegacyUpstream> = {};

function echoServer(): McpServer {
  const server = new McpServer({ name: "legacy-echo", version: "1.0.0" });
  server.registerTool("echo", { description: "Echoes", inputSchema: { message: z.string() } }, async ({ message }) => ({
    content: [{ type: "text", text: `echo: ${message}` }],
  }));
  return server;
}

beforeAll(async () => {
  harness = await startTestGateway();
  upstreams.sse = await startMcpSseUpstream(echoServer);
  upstreams.websocket = await startMcpWebSocketUpstream(echoServer);
  upstreams["sse-refusing"] = await startMcpSseUpstream(echoServer, { refuseWith: 401 });
  upstreams["websocket-refusing"] = await startMcpWebSocketUpstream(echoServer, { refuseWith: 401 });
  for (const [slug, upstream] of Object.entries(upstreams)) {
    await createConnection(harness.t.db, {
      actor: harness.users.carol,
      vaultKey: harness.vaultKey,
      input: {
        slug,
        name: slug,
        transport: slug.startsWith("sse") ? "sse" : "websocket",
        url: upstream.url,
        headers: { Authorization: CREDENTIAL },
        maxMinutes: 30,
      },
    });
  }
});
afterAll(async () => {
  for (const upstream of Object.values(upstreams)) await upstream.close();
  await harness?.stop();
});

describe.each(["sse", "websocket"] as const)("a %s upstream", (kind) => {
  it("lists and calls tools with the connection's credential, records both directions, and is closed with the session", async () => {
    const upstream = upstreams[kind]!;
    const seen = upstream.requests.length;
    const { token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: kind });
    const { client, transport } = mcpClient(harness.gateway.url, token, kind);
    await client.connect(transport);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["echo"]);
    expect(await client.callTool({ name: "echo", arguments: { message: "hi" } })).toMatchObject({
      content: [{ type: "text", text: "echo: hi" }],
    });

    const headers = upstream.requests.slice(seen);
    expect(headers.length).toBeGreaterThan(0);
    for (const sent of headers) {
      expect(sent.authorization).toBe(CREDENTIAL);
      expect(JSON.stringify(sent)).not.toContain(token);
    }
    if (kind === "websocket") expect(headers[0]?.["sec-websocket-protocol"]).toBe("mcp");

    const sessionId = transport.sessionId!;
    const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId }, orderBy: { seq: "asc" } });
    const call = events.find((event) => event.direction === "CLIENT_TO_UPSTREAM" && event.tool === "echo");
    expect(call).toBeDefined();
    expect(events.find((event) => event.direction === "UPSTREAM_TO_CLIENT" && event.rpcId === call!.rpcId)).toBeDefined();

    expect(upstream.open).toBeGreaterThan(0);
    await transport.terminateSession();
    await client.close();
    await waitFor(() => upstream.open === 0);
    await waitFor(async () => (await harness.t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endReason !== null);
  });

  it("reports an upstream that refuses the connection by its HTTP status, and nothing more", async () => {
    const slug = `${kind}-refusing`;
    const { token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: slug });
    const { transport } = mcpClient(harness.gateway.url, token, slug);
    const client = new Client({ name: "refused", version: "1.0.0" });
    const failure = await client.connect(transport).then(
      () => null,
      (error: Error) => error.message,
    );
    expect(failure).toMatch(/it answered HTTP 401/);
    expect(failure).not.toContain("upstream-secret");
  });
});
