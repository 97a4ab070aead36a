import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, LoggingMessageNotificationSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createConnection } from "../lib/connections/create-connection.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import { GENERATORS, type Sensitive, stringsIn } from "../lib/policy/generated-values.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type McpHttpUpstream, startMcpHttpUpstream } from "../test/mcp-upstream.ts";
import { waitFor } from "../test/wait-for.ts";

// Generated sensitive data (lib/policy/generated-values.ts: two values of every detector kind,
// fixed seed) through the real gateway: an upstream answers with the batch in every shape a
// message can carry it (prose, JSON in a text block, structuredContent values, keys and numbers,
// embedded and read resources, _meta, a log notification, a JSON-RPC error's message and data);
// neither the client nor the recording ("SessionEvent".payload and .raw, read with SQL) may hold
// any raw value. A client request carrying the batch is recorded masked and reaches the upstream
// unchanged.

const SEED = 424242;
const batch: Sensitive[] = Object.values(GENERATORS).flatMap((arbitrary) => fc.sample(arbitrary, { seed: SEED, numRuns: 2 }));
const written = (s: Sensitive) => `${s.lead}${s.value}`;
const prose = batch.map((s, i) => `item ${i}: ${written(s)} (order ORD-${String(10_000_000 + i)})`).join("\n");
const emails = batch.filter((s) => s.kind === "email");
const cards = batch.filter((s) => s.kind === "payment-card");
const phones = batch.filter((s) => s.kind === "phone");
const cardNumber = Number(cards.map((c) => c.value.replace(/\D/g, "")).find((d) => Number.isSafeInteger(Number(d))) ?? "4111111111111111");

function payloadOf(i: number) {
  return {
    rows: batch.map((s) => ({ kind: s.kind, value: written(s) })),
    byEmail: Object.fromEntries(emails.map((e, j) => [e.value, { phone: phones[j % phones.length]!.value, plan: "team" }])),
    cardOnFile: cardNumber,
    note: `request ${i}`,
  };
}

let harness: TestGateway;
let upstream: McpHttpUpstream;
const received: unknown[] = [];

function generatedServer(): McpServer {
  const server = new McpServer({ name: "generated", version: "1.0.0" }, { capabilities: { logging: {}, resources: {} } });
  server.registerTool("dump", { description: "Returns the generated batch in every shape", inputSchema: {} }, async (_args, extra) => {
    await extra.sendNotification({
      method: "notifications/message",
      params: { level: "info", data: { text: prose, rows: payloadOf(0).rows } },
    });
    return {
      content: [
        { type: "text", text: prose },
        { type: "text", text: JSON.stringify(payloadOf(1), null, 2) },
        { type: "text", text: JSON.stringify({ wrapped: JSON.stringify(payloadOf(2)) }) },
        {
          type: "resource",
          resource: {
            uri: "mem://batch",
            mimeType: "text/markdown",
            text: `| kind | value |\n|---|---|\n${batch.map((s) => `| ${s.kind} | ${written(s)} |`).join("\n")}`,
          },
        },
      ],
      structuredContent: payloadOf(3),
      _meta: { contacts: emails.map((e) => e.value) },
    };
  });
  server.registerTool(
    "send",
    { description: "Takes the batch as arguments", inputSchema: { payload: z.unknown(), text: z.string() } },
    async (args) => {
      received.push(args);
      return { content: [{ type: "text", text: "sent" }] };
    },
  );
  server.registerResource("batch", "mem://batch", { mimeType: "text/plain" }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: "text/plain", text: prose }],
  }));
  server.registerResource("broken", "mem://broken", { mimeType: "text/plain" }, async () => {
    throw new McpError(ErrorCode.InternalError, `lookup failed for ${batch.map(written).join(", ")}`, payloadOf(4));
  });
  return server;
}

beforeAll(async () => {
  harness = await startTestGateway();
  upstream = await startMcpHttpUpstream(generatedServer);
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "generated", name: "Generated", transport: "streamable-http", url: upstream.url, maxMinutes: 60 },
  });
  await savePolicy(harness.t.db, {
    actor: harness.users.carol,
    target: { kind: "connection", slug: "generated" },
    document: { default: "allow", rules: [{ kind: "mask", id: "everything", detectors: ["all"], style: "redact" }] },
  });
});
afterAll(async () => {
  await upstream?.close();
  await harness?.stop();
});

async function connect() {
  const { token } = await grantAndMint(harness.t.db, {
    requester: harness.users.alice,
    approver: harness.users.bob,
    connection: "generated",
  });
  const { transport } = mcpClient(harness.gateway.url, token, "generated");
  const client = new Client({ name: "generated-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

const digitsOnly = (s: string) => s.replace(/\D/g, "");

/** The raw values found in `value`, by kind (empty when nothing leaked). */
function leaked(value: unknown): string[] {
  const all = stringsIn(value);
  const joinedDigits = all.map(digitsOnly);
  const found: string[] = [];
  for (const s of batch) {
    const digits = digitsOnly(s.value);
    const numeric = /^[\d\s().+-]+$/.test(s.value) && digits.length >= 9;
    if (all.some((text) => text.includes(s.value)) || (numeric && joinedDigits.some((d) => d.includes(digits))))
      found.push(`${s.kind}: ${s.value}`);
  }
  return found;
}

/** The raw values in recorded text (JSON text: each value also as JSON escapes it). */
function leakedInText(text: string): string[] {
  return batch
    .filter((s) => text.includes(s.value) || text.includes(JSON.stringify(s.value).slice(1, -1)))
    .map((s) => `${s.kind}: ${s.value}`);
}

async function recorded(sessionId: string) {
  return harness.t.db.$queryRaw<Array<{ seq: number; direction: string; payload: string; raw: string | null }>>`
    SELECT seq, direction::text AS direction, payload::text AS payload, raw FROM "SessionEvent" WHERE "sessionId" = ${sessionId} ORDER BY seq`;
}

describe("generated sensitive data through the gateway", () => {
  it("the batch covers every kind", () => {
    expect(new Set(batch.map((s) => s.kind)).size).toBe(
      new Set(Object.values(GENERATORS).map((a) => fc.sample(a, { seed: 1, numRuns: 1 })[0]!.kind)).size,
    );
    expect(batch.length).toBeGreaterThanOrEqual(30);
  });

  it("upstream → client: no raw value reaches the client or the recording, in any shape", async () => {
    const { client, transport } = await connect();
    const logs: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (notification) => void logs.push(notification.params));
    await client.setLoggingLevel("info");

    const result = await client.callTool({ name: "dump", arguments: {} });
    expect(leaked(result)).toEqual([]);
    // Masked, not emptied: the tokens are there and what is not sensitive stays.
    expect(JSON.stringify(result)).toContain("[REDACTED:payment-card]");
    expect(JSON.stringify(result)).toContain("ORD-10000000");
    expect((result.structuredContent as { note: string }).note).toBe("request 3");

    const read = await client.readResource({ uri: "mem://batch" });
    expect(leaked(read)).toEqual([]);
    expect(JSON.stringify(read)).toContain("[REDACTED:email]");

    let failure: unknown;
    await client.readResource({ uri: "mem://broken" }).catch((error: unknown) => {
      failure = error;
    });
    expect(failure).toBeInstanceOf(McpError);
    const { message, data } = failure as McpError;
    expect(message).toContain("lookup failed for");
    expect(leaked({ message, data })).toEqual([]);

    await waitFor(() => logs.length > 0);
    expect(leaked(logs)).toEqual([]);

    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    await waitFor(async () => (await recorded(sessionId)).some((row) => row.payload.includes("lookup failed")));
    const rows = await recorded(sessionId);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    for (const row of rows) {
      expect(row.raw).not.toBeNull();
      expect({ seq: row.seq, leaks: [...leakedInText(row.payload), ...leakedInText(row.raw ?? "")] }).toEqual({ seq: row.seq, leaks: [] });
      expect({ seq: row.seq, leaks: leaked(JSON.parse(row.raw ?? "null")) }).toEqual({ seq: row.seq, leaks: [] });
    }
  });

  it("client → upstream: the request is recorded masked and forwarded unchanged", async () => {
    const { client, transport } = await connect();
    received.length = 0;
    const args = { payload: payloadOf(5), text: prose };
    const answer = await client.callTool({ name: "send", arguments: args });
    expect(answer.content).toEqual([{ type: "text", text: "sent" }]);
    expect(received).toEqual([args]);

    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    const rows = await recorded(sessionId);
    const request = rows.find((row) => row.direction === "CLIENT_TO_UPSTREAM" && row.payload.includes('"send"'));
    expect(request).toBeDefined();
    expect(request!.raw).toContain("[REDACTED:");
    for (const row of rows) {
      expect({ seq: row.seq, leaks: [...leakedInText(row.payload), ...leakedInText(row.raw ?? "")] }).toEqual({ seq: row.seq, leaks: [] });
      expect({ seq: row.seq, leaks: leaked(JSON.parse(row.raw ?? "null")) }).toEqual({ seq: row.seq, leaks: [] });
    }
  });
});
