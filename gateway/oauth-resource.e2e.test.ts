import { discoverOAuthProtectedResourceMetadata, extractWWWAuthenticateParams } from "@modelcontextprotocol/sdk/client/auth.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { createAccessRequest } from "../lib/access/create-access-request.ts";
import { decideAccessRequest } from "../lib/access/decide-access-request.ts";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { mintGatewayToken } from "../lib/tokens/mint-gateway-token.ts";
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

describe("OAuth access tokens at the gateway", () => {
  async function oauthToken(expiresInMs: number) {
    const { alice, bob } = harness.users;
    const request = await createAccessRequest(harness.t.db, { actor: alice, connectionSlug: "everything", minutes: 15, reason: "oauth" });
    const approved = await decideAccessRequest(harness.t.db, { actor: bob, requestId: request.id, decision: "APPROVE" });
    const grantId = approved.grant!.id;
    const minted = await mintGatewayToken(harness.t.db, {
      actor: alice,
      grantId,
      oauth: { clientId: "tgc_test", resource: `${base}/mcp/everything`, expiresAt: new Date(Date.now() + expiresInMs) },
    });
    return { token: minted.token, grantId };
  }

  it("serves a valid one, and answers 401 invalid_token once it expired", async () => {
    const { token } = await oauthToken(1500);
    expect((await post("/mcp/everything", { authorization: `Bearer ${token}` })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1700));
    const expired = await post("/mcp/everything", { authorization: `Bearer ${token}` });
    expect(expired.status).toBe(401);
    expect(extractWWWAuthenticateParams(expired).error).toBe("invalid_token");
    expect(((await expired.json()) as { error: { data: { tokenError: string } } }).error.data.tokenError).toBe("expired");
  });

  it("refuses a token issued for one connection on another (its grant is for one connection)", async () => {
    await harness.t.db.connection.create({ data: { slug: "other", name: "Other", transport: "STDIO", command: "true" } });
    const { token } = await oauthToken(60_000);
    const refused = await post("/mcp/other", { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { data: { reason: string } } }).error.data.reason).toBe("WRONG_CONNECTION");
  });

  it("answers 401 invalid_token (so the client authorizes again) once its grant is revoked", async () => {
    const { token, grantId } = await oauthToken(60_000);
    expect((await post("/mcp/everything", { authorization: `Bearer ${token}` })).status).toBe(200);
    await revokeGrant(harness.t.db, { actor: harness.users.bob, grantId });
    const refused = await post("/mcp/everything", { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(401);
    const body = (await refused.json()) as { error: { message: string; data: { tokenError: string } } };
    expect(body.error.data.tokenError).toBe("grant_ended");
    expect(body.error.message).toMatch(/was revoked at/);
  });
});
