import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";

// DNS rebinding protection (the MCP conformance scenario `dns-rebinding-protection`): a gateway
// listening on loopback accepts localhost Host and Origin values and refuses any other name,
// before it looks at credentials.

let harness: TestGateway;
let token: string;

beforeAll(async () => {
  harness = await startTestGateway({ host: "127.0.0.1", allowedOrigins: ["https://portal.example.com"] });
  ({ token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "everything" }));
});
afterAll(async () => harness?.stop());

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "rebinding", version: "0" } },
});

/** POST initialize with exactly these Host and Origin headers (fetch would not let a test set Host). */
function post(headers: { host: string; origin?: string; authorization?: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: harness.gateway.port,
        path: "/mcp/everything",
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-protocol-version": "2025-11-25",
          ...headers,
        },
      },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString("utf8");
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end(INITIALIZE);
  });
}

async function endSession(body: string, status: number): Promise<void> {
  if (status !== 200) return;
  // Close what a successful initialize opened (its stdio child).
  await harness.gateway.registry.closeAll("test done");
  expect(body).toContain('"result"');
}

describe("Host and Origin on a loopback gateway", () => {
  it("accepts localhost, 127.0.0.1 and [::1] as Host and Origin, on any port", async () => {
    const port = harness.gateway.port;
    for (const name of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const { status, body } = await post({ host: name, origin: `http://${name}`, authorization: `Bearer ${token}` });
      expect([name, status]).toEqual([name, 200]);
      await endSession(body, status);
    }
    const devServer = await post({ host: `localhost:${port}`, origin: "http://localhost:5173", authorization: `Bearer ${token}` });
    expect(devServer.status).toBe(200);
    await endSession(devServer.body, devServer.status);
  });

  it("refuses a foreign Host (DNS rebinding) with 403 before authentication, saying what to do", async () => {
    const { status, body } = await post({ host: "evil.example.com", origin: "http://evil.example.com" });
    expect(status).toBe(403);
    const error = (JSON.parse(body) as { error: { code: number; message: string; data: Record<string, unknown> } }).error;
    expect(error).toMatchObject({ code: -32019, data: { reason: "FORBIDDEN_ORIGIN", header: "host" } });
    expect(error.message).toMatch(/Host "evil.example.com" is not a name of this gateway.*GATEWAY_ALLOWED_HOSTS/);
    // Even with a valid token, and even when the port matches.
    const withToken = await post({ host: `evil.example.com:${harness.gateway.port}`, authorization: `Bearer ${token}` });
    expect(withToken.status).toBe(403);
  });

  it("refuses a foreign Origin with 403 unless it is allow-listed", async () => {
    const host = `localhost:${harness.gateway.port}`;
    const foreign = await post({ host, origin: "https://evil.example.com", authorization: `Bearer ${token}` });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/Origin \\"https:\/\/evil.example.com\\" is not allowed.*GATEWAY_ALLOWED_ORIGINS or from localhost/);
    const listed = await post({ host, origin: "https://portal.example.com", authorization: `Bearer ${token}` });
    expect(listed.status).toBe(200);
    await endSession(listed.body, listed.status);
  });
});
