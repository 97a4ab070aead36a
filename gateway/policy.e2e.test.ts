import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import type { PolicyDocument } from "../lib/policy/schema.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// Policy on the data path, end to end: the SDK client → gateway → a real SDK MCP server over HTTP
// that counts what reaches it and answers with sensitive values in every place a message can hold them.

const EMAIL = "jane.doe@example.com";
const CARD = "4111 1111 1111 1111";
const GITHUB = `ghp_${"a1B2c3D4e5".repeat(3)}abcdef`;
const PASSWORD = "hunter2-correct-horse";

let harness: TestGateway;
let upstream: McpHttpUpstream;
const upstreamCalls: string[] = [];

function leakyServer(): McpServer {
  const server = new McpServer({ name: "leaky", version: "1.0.0" }, { capabilities: { logging: {} } });
  const record = (name: string) => upstreamCalls.push(name);
  server.registerTool("echo", { description: "Echoes", inputSchema: { message: z.string() } }, async ({ message }) => {
    record("echo");
    return { content: [{ type: "text", text: message }] };
  });
  server.registerTool("delete_database", { description: "Drops everything", inputSchema: {} }, async () => {
    record("delete_database");
    return { content: [{ type: "text", text: "dropped" }] };
  });
  server.registerTool("run_sql", { description: "Runs SQL", inputSchema: { sql: z.string() } }, async ({ sql }) => {
    record(`run_sql:${sql}`);
    return { content: [{ type: "text", text: "ok" }] };
  });
  server.registerTool(
    "customer",
    {
      description: "A customer record in every shape",
      inputSchema: {},
      outputSchema: { name: z.string(), email: z.string(), card: z.string(), password: z.string() },
    },
    async (_args, extra) => {
      record("customer");
      await extra.sendNotification({ method: "notifications/message", params: { level: "info", data: `looked up ${EMAIL}` } });
      const structured = { name: "Jane", email: EMAIL, card: CARD, password: PASSWORD };
      return {
        structuredContent: structured,
        content: [
          { type: "text", text: JSON.stringify(structured) },
          { type: "resource", resource: { uri: "mem://customer", mimeType: "text/plain", text: `token ${GITHUB}` } },
        ],
        _meta: { contact: EMAIL },
      };
    },
  );
  server.registerTool("ask", { description: "Samples the client with a secret in the prompt", inputSchema: {} }, async (_args, extra) => {
    record("ask");
    const answer = await extra.sendRequest(
      {
        method: "sampling/createMessage",
        params: { messages: [{ role: "user", content: { type: "text", text: `mail ${EMAIL}` } }], maxTokens: 5 },
      },
      z.object({ content: z.object({ type: z.string(), text: z.string().optional() }) }).passthrough(),
    );
    return { content: [{ type: "text", text: `client said ${answer.content.text ?? ""}` }] };
  });
  return server;
}

beforeAll(async () => {
  harness = await startTestGateway();
  upstream = await startMcpHttpUpstream(leakyServer);
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "leaky", name: "Leaky", transport: "streamable-http", url: upstream.url, maxMinutes: 60 },
  });
});
afterAll(async () => {
  await upstream?.close();
  await harness?.stop();
});

async function setPolicy(target: { kind: "global" } | { kind: "connection"; slug: string }, document: PolicyDocument) {
  return savePolicy(harness.t.db, { actor: harness.users.carol, target, document });
}

async function connect(slug = "leaky", capabilities: Record<string, unknown> = {}) {
  const { token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: slug });
  const { transport } = mcpClient(harness.gateway.url, token, slug);
  const client = new Client({ name: "policy-test", version: "1.0.0" }, { capabilities });
  await client.connect(transport);
  return { client, transport };
}

describe("guardrails at the gateway", () => {
  it("hides and refuses a denied tool, look-alike names included, and the upstream never sees the call", async () => {
    await setPolicy(
      { kind: "connection", slug: "leaky" },
      {
        default: "allow",
        rules: [
          { kind: "guardrail", id: "no-drop", description: "No destructive tools", match: { name: "delete_*" }, action: "deny" },
          {
            kind: "guardrail",
            id: "no-ddl",
            description: "No DDL",
            match: { method: "tools/call", name: "run_sql", arguments: [{ path: "$.sql", regex: "(?i)\\bdrop\\b" }] },
            action: "deny",
          },
        ],
      },
    );
    const { client, transport } = await connect();
    const tools = (await client.listTools()).tools.map((tool) => tool.name);
    expect(tools).toContain("echo");
    expect(tools).not.toContain("delete_database");

    upstreamCalls.length = 0;
    for (const name of ["delete_database", "DELETE_DATABASE", "ｄｅｌｅｔｅ_database", "delete\u200B_database"]) {
      await expect(client.callTool({ name, arguments: {} })).rejects.toThrow(/No destructive tools.*no-drop/);
    }
    await expect(client.callTool({ name: "run_sql", arguments: { sql: "DROP TABLE users" } })).rejects.toThrow(/No DDL/);
    const allowed = await client.callTool({ name: "run_sql", arguments: { sql: "select 1" } });
    expect(allowed.isError).toBeFalsy();
    expect(upstreamCalls).toEqual(["run_sql:select 1"]);

    // Each refusal is recorded with its decision, and the gateway's answer names the rule.
    const sessionId = transport.sessionId!;
    await waitFor(async () => (await harness.t.db.sessionEvent.count({ where: { sessionId, decision: "deny" } })) === 5);
    await transport.terminateSession();
    await client.close();
  });

  it("checks a 2025-03-26 batch message by message: the denied call is refused, the allowed one answered", async () => {
    await setPolicy(
      { kind: "connection", slug: "leaky" },
      {
        default: "allow",
        rules: [{ kind: "guardrail", id: "no-drop", description: "No destructive tools", match: { name: "delete_*" }, action: "deny" }],
      },
    );
    const { token } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "leaky",
    });
    const url = `${harness.gateway.url}/mcp/leaky`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const init = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "batcher", version: "0" } },
      }),
    });
    const session = { ...headers, "mcp-session-id": init.headers.get("mcp-session-id") ?? "", "mcp-protocol-version": "2025-03-26" };
    await init.text();
    await fetch(url, { method: "POST", headers: session, body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) });
    upstreamCalls.length = 0;
    const batch = await fetch(url, {
      method: "POST",
      headers: session,
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "delete_database", arguments: {} } },
        { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "echo", arguments: { message: "batched" } } },
      ]),
    });
    const text = await batch.text();
    type Answer = Record<string, unknown>;
    const answers: Answer[] = text.trim().startsWith("[")
      ? (JSON.parse(text) as Answer[])
      : text
          .split("\n")
          .filter((line) => line.startsWith("data: "))
          .flatMap((line): Answer[] => [JSON.parse(line.slice(6)) as Answer].flat());
    const byId = new Map(answers.map((answer) => [answer.id, answer]));
    expect(byId.get(1)).toMatchObject({ error: { code: -32003, message: expect.stringMatching(/No destructive tools/) } });
    expect(byId.get(2)).toMatchObject({ result: { content: [{ type: "text", text: "batched" }] } });
    expect(upstreamCalls).toEqual(["echo"]);
  });

  it("a connection rule cannot loosen a global deny, and a global default deny only lets named tools through", async () => {
    await setPolicy(
      { kind: "global" },
      { default: "deny", rules: [{ kind: "guardrail", id: "g-echo", match: { name: "echo" }, action: "deny" }] },
    );
    await setPolicy(
      { kind: "connection", slug: "leaky" },
      {
        default: "allow",
        rules: [
          { kind: "guardrail", id: "c-echo", match: { name: "echo" }, action: "allow" },
          { kind: "guardrail", id: "c-customer", match: { name: "customer" }, action: "allow" },
        ],
      },
    );
    const { client, transport } = await connect();
    upstreamCalls.length = 0;
    await expect(client.callTool({ name: "echo", arguments: { message: "x" } })).rejects.toThrow(/g-echo/);
    await expect(client.callTool({ name: "run_sql", arguments: { sql: "select 1" } })).rejects.toThrow(/default/i);
    await client.callTool({ name: "customer", arguments: {} });
    expect(upstreamCalls).toEqual(["customer"]);
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(["customer"]);
    await transport.terminateSession();
    await client.close();
    await setPolicy({ kind: "global" }, { default: "allow", rules: [] });
  });

  it("applies a saved policy to an open session within a second", async () => {
    await setPolicy({ kind: "connection", slug: "leaky" }, { default: "allow", rules: [] });
    const { client, transport } = await connect();
    await client.callTool({ name: "echo", arguments: { message: "before" } });
    await setPolicy(
      { kind: "connection", slug: "leaky" },
      {
        default: "allow",
        rules: [{ kind: "guardrail", id: "late", description: "Echo off", match: { name: "echo" }, action: "deny" }],
      },
    );
    const started = Date.now();
    await waitFor(async () => {
      try {
        await client.callTool({ name: "echo", arguments: { message: "after" } });
        return false;
      } catch (error) {
        return /Echo off/.test((error as Error).message);
      }
    }, 3000);
    expect(Date.now() - started).toBeLessThan(1500);
    await transport.terminateSession();
    await client.close();
  });
  // require-approval calls are held until an approver decides: gateway/held-calls.e2e.test.ts.
});

describe("masking at the gateway", () => {
  const maskEverything: PolicyDocument = {
    default: "allow",
    rules: [
      { kind: "mask", id: "pii", detectors: ["all"], style: "redact" },
      { kind: "mask", id: "secrets", keys: ["password"], style: "hash" },
    ],
  };

  it("masks structuredContent, text, embedded resources, _meta, notifications and server-to-client requests, and stores no unmasked value", async () => {
    await setPolicy({ kind: "connection", slug: "leaky" }, maskEverything);
    const logs: string[] = [];
    const sampled: string[] = [];
    const { client, transport } = await connect("leaky", { sampling: {} });
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => {
      logs.push(JSON.stringify(notification.params));
    });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      sampled.push(JSON.stringify(request.params));
      return { role: "assistant", model: "test", content: { type: "text", text: `reply to ${EMAIL}` } };
    });
    await client.setLoggingLevel("info");

    const result = await client.callTool({ name: "customer", arguments: {} });
    const seen = JSON.stringify(result);
    for (const secret of [EMAIL, CARD, GITHUB, PASSWORD]) expect(seen).not.toContain(secret);
    expect(result.structuredContent).toMatchObject({ name: "Jane", email: "[REDACTED:email]", card: "[REDACTED:payment-card]" });
    expect(String((result.structuredContent as { password: string }).password)).toMatch(/^\[HASH:/);
    expect(seen).toContain("[REDACTED:github-token]");
    await waitFor(() => logs.length > 0);
    expect(logs.join()).toContain("[REDACTED:email]");
    expect(logs.join()).not.toContain(EMAIL);

    const asked = await client.callTool({ name: "ask", arguments: {} });
    expect(sampled.join()).toContain("[REDACTED:email]");
    expect(sampled.join()).not.toContain(EMAIL);
    // The client's own answer goes upstream unchanged (the tool echoes it back, masked on the way out).
    expect(JSON.stringify(asked)).toContain("client said reply to [REDACTED:email]");

    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    const events = await harness.t.db.sessionEvent.findMany({ where: { sessionId }, orderBy: { seq: "asc" } });
    const stored = JSON.stringify(events.map((event) => event.payload));
    for (const secret of [EMAIL, CARD, GITHUB, PASSWORD]) expect(stored).not.toContain(secret);
    const counted = events.find((event) => event.masked && (event.masked as Record<string, number>)["payment-card"]);
    expect(counted?.masked).toMatchObject({ email: expect.any(Number), "payment-card": expect.any(Number) });
  });

  it("withholds a message it cannot mask instead of sending it unmasked (fail closed)", async () => {
    await setPolicy({ kind: "connection", slug: "leaky" }, maskEverything);
    const { client, transport } = await connect();
    upstreamCalls.length = 0;
    // Once the call has reached the upstream, every use of the policy throws: its answer cannot be masked.
    const policies = harness.gateway.policies;
    const real = policies.current.bind(policies);
    const spy = vi.spyOn(policies, "current").mockImplementation((connectionId: string) => {
      if (upstreamCalls.length > 0) throw new Error("injected masking failure");
      return real(connectionId);
    });
    try {
      await expect(client.callTool({ name: "customer", arguments: {} })).rejects.toThrow(/withheld/);
      expect(upstreamCalls).toEqual(["customer"]);
    } finally {
      spy.mockRestore();
    }
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    const stored = JSON.stringify((await harness.t.db.sessionEvent.findMany({ where: { sessionId } })).map((event) => event.payload));
    expect(stored).not.toContain(EMAIL);
    expect(stored).toContain("MESSAGE_WITHHELD");
  });
});
