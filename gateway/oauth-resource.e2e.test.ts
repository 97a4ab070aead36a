import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";

// The gateway as an OAuth 2.1 resource server (MCP authorization, RFC 9728): every 401 names the
// protected resource metadata of the connection path called, and that document names the exact
// connection URL and the portal as the authorization server.

const ISSUER = "http://127.0.0.1:3999";
let harness: TestGateway;
let base: string;

beforeAll(async () => {
  harness = await startTestGateway({ portalUrl: ISSUER });
  base = harness.gateway.url;
});
afterAll(async () => harness?.stop());

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
});

function post(path: string, headers: Record<string, string> = {}) {
  return fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: INITIALIZE,
  });
}

describe("gateway as OAuth protected resource", () => {
  it("answers a request without a token 401 with resource_metadata for that connection path, no error code", async () => {
    const response = await post("/mcp/everything");
    expect(response.status).toBe(401);
    const header = response.headers.get("www-authenticate")!;
    expect(header).toBe(
      `Bearer realm="tollgate", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp/everything", scope="mcp"`,
    );
    const params = extractWWWAuthenticateParams(response);
    expect(params.resourceMetadataUrl?.href).toBe(`${base}/.well-known/oauth-protected-resource/mcp/everything`);
    expect(params.error).toBeUndefined();
  });

  it("adds error=invalid_token when a token was presented but is bad", async () => {
    const response = await post("/mcp/everything", { authorization: "Bearer tgg_not-a-real-token" });
    expect(response.status).toBe(401);
    const params = extractWWWAuthenticateParams(response);
    expect(params.error).toBe("invalid_token");
    expect(params.resourceMetadataUrl?.href).toBe(`${base}/.well-known/oauth-protected-resource/mcp/everything`);
  });

  it("names the legacy SSE endpoint's metadata for /sse/<slug> and its message endpoint", async () => {
    const stream = await fetch(`${base}/sse/everything`, { headers: { accept: "text/event-stream" } });
    expect(stream.status).toBe(401);
    expect(stream.headers.get("www-authenticate")).toContain(
      `resource_metadata="${base}/.well-known/oauth-protected-resource/sse/everything"`,
    );
    const messages = await post("/sse/everything/messages?sessionId=x");
    expect(messages.status).toBe(401);
    expect(messages.headers.get("www-authenticate")).toContain("/.well-known/oauth-protected-resource/sse/everything");
  });

  it("names the WebSocket endpoint's metadata on a refused upgrade", async () => {
    const refused = await new Promise<{ status: number; header: string }>((resolve, reject) => {
      const socket = new NodeWebSocket(`${base.replace(/^http/, "ws")}/ws/everything`, ["mcp"]);
      socket.once("unexpected-response", (_req, res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, header: String(res.headers["www-authenticate"]) });
      });
      socket.once("open", () => reject(new Error("upgraded without a token")));
      socket.once("error", reject);
    });
    expect(refused.status).toBe(401);
    expect(refused.header).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/ws/everything"`);
    expect(refused.header).not.toContain("invalid_token");
  });

  it("serves RFC 9728 metadata per connection path, naming the exact connection URL and the portal", async () => {
    for (const [transport, resource] of [
      ["mcp", `${base}/mcp/everything`],
      ["sse", `${base}/sse/everything`],
      ["ws", `${base.replace(/^http/, "ws")}/ws/everything`],
    ] as const) {
      const response = await fetch(`${base}/.well-known/oauth-protected-resource/${transport}/everything`);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(await response.json()).toMatchObject({
        resource,
        authorization_servers: [ISSUER],
        scopes_supported: ["mcp"],
        bearer_methods_supported: ["header"],
      });
    }
    const root = await fetch(`${base}/.well-known/oauth-protected-resource`);
    expect(await root.json()).toMatchObject({ resource: base, authorization_servers: [ISSUER] });
    const unknown = await fetch(`${base}/.well-known/oauth-protected-resource/mcp/no-such-server`);
    expect(unknown.status).toBe(404);
  });

  it("is what the SDK's discovery reads (path-aware, from the server URL alone)", async () => {
    const metadata = await discoverOAuthProtectedResourceMetadata(new URL(`${base}/mcp/everything`));
    expect(metadata.resource).toBe(`${base}/mcp/everything`);
    expect(metadata.authorization_servers).toEqual([ISSUER]);
  });
});
