import { randomBytes } from "node:crypto";
import http from "node:http";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createLogger } from "../gateway/log.ts";
import { type Gateway, type GatewayOptions, startGateway } from "../gateway/server.ts";
import type { Actor } from "../lib/authz/permissions.ts";
import { seedDemo } from "./fixtures.ts";
import { createTestDatabase, type TestDatabase } from "./postgres.ts";

export interface TestGateway {
  t: TestDatabase;
  gateway: Gateway;
  users: { alice: Actor; bob: Actor; carol: Actor };
  vaultKey: Buffer;
  /** What the gateway logged (JSON lines), kept out of the test output. */
  logs: string[];
  stop(): Promise<void>;
}

/** A real gateway on a free port over its own seeded database (demo users and `everything`). */
export async function startTestGateway(options: Partial<Omit<GatewayOptions, "databaseUrl">> = {}): Promise<TestGateway> {
  const t = await createTestDatabase();
  const users = await seedDemo(t.db);
  const vaultKey = options.vaultKey ?? randomBytes(32);
  const logs: string[] = [];
  const gateway = await startGateway({
    port: 0,
    log: createLogger({ sink: (line) => logs.push(line) }),
    ...options,
    databaseUrl: t.url,
    vaultKey,
  });
  return {
    t,
    gateway,
    users,
    vaultKey,
    logs,
    async stop() {
      await gateway.close().catch(() => undefined);
      await t.drop().catch(() => undefined);
    },
  };
}

/** The official SDK client pointed at a gateway endpoint, with the token as a bearer header. */
export function mcpClient(gatewayUrl: string, token: string | null, slug = "everything") {
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp/${slug}`), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : {},
  });
  return { client: new Client({ name: "tollgate-test", version: "1.0.0" }), transport };
}

/**
 * A raw 2025-11-25 Streamable HTTP session at `url` (`<gateway>/mcp/<slug>`): initialize and
 * notifications/initialized sent; `post(body, init)` POSTs a message with the session's headers.
 */
export async function rawHttpSession(url: string, token: string) {
  const base = {
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
  };
  const init = await fetch(url, {
    method: "POST",
    headers: base,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 0,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    }),
  });
  if (init.status !== 200) throw new Error(`initialize: HTTP ${init.status} ${await init.text()}`);
  await init.text();
  const sessionId = init.headers.get("mcp-session-id") ?? "";
  const headers = { ...base, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" };
  const post = (body: unknown, options: { signal?: AbortSignal } = {}) =>
    fetch(url, { method: "POST", headers, body: JSON.stringify(body), ...options });
  const initialized = await post({ jsonrpc: "2.0", method: "notifications/initialized" });
  if (initialized.status !== 202) throw new Error(`notifications/initialized: HTTP ${initialized.status}`);
  return { sessionId, headers, post };
}

/**
 * One raw 2026-07-28 (sessionless) POST to `url` on `agent`: a keep-alive agent is one TCP
 * connection, which the gateway records as one client connection.
 */
export function postSessionless(
  url: string,
  options: { agent: http.Agent; token: string; body: unknown; headers?: Record<string, string> },
): Promise<{ status: number; type: string; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(url),
      {
        method: "POST",
        agent: options.agent,
        headers: {
          authorization: `Bearer ${options.token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2026-07-28",
          ...options.headers,
        },
      },
      (res) => {
        let data = "";
        res.on("data", (chunk: Buffer) => {
          data += chunk.toString("utf8");
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), json: data ? JSON.parse(data) : null }),
        );
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(options.body));
  });
}
