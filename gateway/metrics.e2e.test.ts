import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";

// /metrics: Prometheus text format, with HELP and TYPE for every metric, and the request duration
// histogram observing calls made through the gateway.

let harness: TestGateway;

beforeAll(async () => {
  harness = await startTestGateway();
});
afterAll(async () => harness?.stop());

interface Family {
  help?: string;
  type?: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", "_created"];

/** A strict reader of the Prometheus text exposition format (0.0.4): throws on any malformed line. */
function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { samples: [] };
      families.set(name, found);
    }
    return found;
  };
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.slice(0, -1).split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, "HELP" | "TYPE", string, string];
      expect(name).toMatch(new RegExp(`^${NAME}$`));
      if (kind === "HELP") family(name).help = rest;
      else {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(rest);
        family(name).type = rest;
      }
      continue;
    }
    if (line.startsWith("#")) continue;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    const [, name, labelText = "", valueText] = sample as unknown as [string, string, string | undefined, string];
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const match = LABEL.exec(labelText);
      if (!match) throw new Error(`malformed labels: ${line}`);
      labels[match[1]!] = match[2]!;
    }
    const value = valueText === "+Inf" ? Infinity : valueText === "-Inf" ? -Infinity : Number(valueText);
    // Go's ParseFloat, which Prometheus uses, takes NaN in any case (prom-client writes "Nan").
    if (Number.isNaN(value) && valueText.toLowerCase() !== "nan") throw new Error(`malformed value: ${line}`);
    // A sample belongs to the family declared before it: `x_bucket`, `x_sum`, `x_count` to `x`.
    const stripped = SUFFIXES.filter((suffix) => name.endsWith(suffix)).map((suffix) => name.slice(0, -suffix.length));
    const owner = families.has(name) ? name : (stripped.find((candidate) => families.has(candidate)) ?? name);
    family(owner).samples.push({ name, labels, value });
  }
  return families;
}

async function scrape(): Promise<{ contentType: string | null; families: Map<string, Family> }> {
  const response = await fetch(`${harness.gateway.url}/metrics`);
  expect(response.status).toBe(200);
  return { contentType: response.headers.get("content-type"), families: parsePrometheus(await response.text()) };
}

describe("gateway /metrics", () => {
  it("serves Prometheus text with HELP and TYPE for every metric, and times calls made through the gateway", async () => {
    const { token } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const { client, transport } = mcpClient(harness.gateway.url, token);
    await client.connect(transport);
    expect(await client.callTool({ name: "echo", arguments: { message: "metered" } })).toMatchObject({
      content: [{ text: "Echo: metered" }],
    });
    // A method MCP does not define: the upstream answers with an error; the label is `other`.
    const unknown = await fetch(`${harness.gateway.url}/mcp/everything`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-session-id": transport.sessionId!,
        "mcp-protocol-version": transport.protocolVersion ?? "2025-06-18",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: "x-1", method: "made-up/method-1234", params: {} }),
    });
    expect(await unknown.text()).toContain("x-1");

    const { contentType, families } = await scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const [name, family] of families) {
      expect(family.help, `HELP of ${name}`).toBeTruthy();
      expect(family.type, `TYPE of ${name}`).toBeTruthy();
    }
    for (const name of [
      "tollgate_gateway_http_requests_total",
      "tollgate_gateway_messages_total",
      "tollgate_gateway_sessions_total",
      "tollgate_gateway_refusals_total",
      "tollgate_gateway_request_duration_seconds",
      "tollgate_gateway_recorder_queue_depth",
      "tollgate_gateway_open_sessions",
      "process_cpu_user_seconds_total",
      "nodejs_eventloop_lag_seconds",
    ]) {
      expect(families.has(name), name).toBe(true);
    }
    const samples = [...families.values()].flatMap((family) => family.samples);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

    const duration = families.get("tollgate_gateway_request_duration_seconds")!;
    expect(duration.type).toBe("histogram");
    const echo = { connection: "everything", method: "tools/call", outcome: "ok" };
    expect(value("tollgate_gateway_request_duration_seconds_count", echo)).toBe(1);
    expect(value("tollgate_gateway_request_duration_seconds_sum", echo)).toBeGreaterThan(0);
    const buckets = duration.samples.filter((s) => s.name.endsWith("_bucket") && s.labels.method === "tools/call");
    expect(buckets.map((s) => s.labels.le)).toEqual([
      "0.0005",
      "0.001",
      "0.0025",
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "5",
      "10",
      "30",
      "60",
      "+Inf",
    ]);
    expect(buckets.every((s, i) => i === 0 || s.value >= buckets[i - 1]!.value)).toBe(true);
    expect(buckets.at(-1)?.value).toBe(1);
    expect(value("tollgate_gateway_request_duration_seconds_count", { method: "initialize", outcome: "ok" })).toBe(1);
    expect(value("tollgate_gateway_request_duration_seconds_count", { method: "other", outcome: "error" })).toBe(1);
    expect(samples.some((s) => s.labels.method === "made-up/method-1234")).toBe(false);

    expect(value("tollgate_gateway_open_sessions")).toBe(1);
    expect(value("tollgate_gateway_recorder_queue_depth")).toBe(0);
    expect(value("tollgate_gateway_sessions_total", { connection: "everything" })).toBe(1);
    expect(value("tollgate_gateway_messages_total", { direction: "client_to_upstream" })).toBeGreaterThanOrEqual(4);
    expect(value("tollgate_gateway_messages_total", { direction: "upstream_to_client" })).toBeGreaterThanOrEqual(3);
    expect(value("tollgate_gateway_http_requests_total", { method: "POST" })).toBeGreaterThanOrEqual(4);

    await transport.terminateSession();
    await client.close();
    await expect.poll(async () => (await scrape()).families.get("tollgate_gateway_open_sessions")?.samples[0]?.value).toBe(0);
  });

  it("counts refusals by reason", async () => {
    const response = await fetch(`${harness.gateway.url}/mcp/everything`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
    });
    expect(response.status).toBe(401);
    const { families } = await scrape();
    const refusals = families.get("tollgate_gateway_refusals_total")!;
    expect(refusals.samples.find((s) => s.labels.reason === "UNAUTHENTICATED")?.value).toBeGreaterThanOrEqual(1);
  });
});
