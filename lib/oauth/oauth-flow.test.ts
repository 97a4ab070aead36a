import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { decideAccessRequest } from "../access/decide-access-request.ts";
import type { Actor } from "../authz/permissions.ts";
import { revokeGrant } from "../grants/revoke-grant.ts";
import { resolveGatewayToken } from "../tokens/resolve-gateway-token.ts";
import { decideAuthorization } from "./decide-authorization.ts";
import { exchangeToken, parseTokenRequest } from "./exchange-token.ts";
import { s256 } from "./pkce.ts";
import { pollAuthorization } from "./poll-authorization.ts";
import { purgeExpiredOAuth } from "./purge-expired.ts";
import { registerClient } from "./register-client.ts";
import type { OAuthSettings } from "./settings.ts";
import { type ConsentPage, startAuthorization } from "./start-authorization.ts";

// The authorization server's flow on a real database: registration, consent as access request,
// approval, code, token, refresh rotation, and everything dying with the grant.

const settings: OAuthSettings = { issuer: "http://127.0.0.1:3000", gatewayOrigin: "http://localhost:8090" };
const RESOURCE = "http://localhost:8090/mcp/everything";
const REDIRECT = "http://127.0.0.1:33418/callback";
const VERIFIER = `${"a".repeat(20)}${"B".repeat(20)}-._~0123456789`;

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let clientId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob } = await seedDemo(t.db));
  clientId = (await registerClient(t.db, { client_name: "Test Client", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" }))
    .client_id;
});
afterAll(async () => t?.drop());

function query(overrides: Record<string, string | undefined> = {}) {
  return {
    response_type: "code",
    client_id: clientId,
    redirect_uri: REDIRECT,
    code_challenge: s256(VERIFIER),
    code_challenge_method: "S256",
    resource: RESOURCE,
    scope: "mcp",
    state: "st-123",
    ...overrides,
  };
}

function codeOf(url: string): string {
  const params = new URL(url).searchParams;
  expect(params.get("iss")).toBe(settings.issuer);
  expect(params.get("state")).toBe("st-123");
  return params.get("code")!;
}

const exchange = (code: string, overrides: Record<string, string> = {}) =>
  exchangeToken(t.db, {
    request: parseTokenRequest({
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: clientId,
      code_verifier: VERIFIER,
      resource: RESOURCE,
      ...overrides,
    }),
  });
const refresh = (token: string) =>
  exchangeToken(t.db, {
    request: parseTokenRequest({ grant_type: "refresh_token", refresh_token: token, client_id: clientId, resource: RESOURCE }),
  });

describe("dynamic client registration", () => {
  it("registers public clients with valid redirect URIs only", async () => {
    const registered = await registerClient(t.db, {
      redirect_uris: ["https://app.example.com/cb"],
      token_endpoint_auth_method: "client_secret_post",
    });
    expect(registered).toMatchObject({
      client_id: expect.stringMatching(/^tgc_/),
      token_endpoint_auth_method: "none",
      client_name: "app.example.com",
    });
    await expect(registerClient(t.db, { redirect_uris: ["http://evil.example.com/cb"] })).rejects.toMatchObject({
      error: "invalid_redirect_uri",
    });
    await expect(registerClient(t.db, { redirect_uris: [] })).rejects.toMatchObject({ error: "invalid_redirect_uri" });
    await expect(registerClient(t.db, { redirect_uris: [REDIRECT], grant_types: ["client_credentials"] })).rejects.toMatchObject({
      error: "invalid_client_metadata",
    });
  });
});

describe("NUL characters (Postgres cannot store U+0000)", () => {
  it("are refused at registration, naming the field, and never reach the database", async () => {
    for (const [input, error, field] of [
      [{ client_name: "a\u0000b", redirect_uris: [REDIRECT] }, "invalid_client_metadata", "client_name"],
      [{ redirect_uris: [`${REDIRECT}\u0000`] }, "invalid_redirect_uri", "redirect_uris.0"],
      [{ redirect_uris: [REDIRECT], software_id: "\u0000" }, "invalid_client_metadata", "software_id"],
      [{ redirect_uris: [REDIRECT], token_endpoint_auth_method: "none\u0000" }, "invalid_client_metadata", "token_endpoint_auth_method"],
      [{ redirect_uris: [REDIRECT], client_uri: "https://a.example.com/\u0000" }, "invalid_client_metadata", "client_uri"],
    ] as const) {
      await expect(registerClient(t.db, input), JSON.stringify(input)).rejects.toMatchObject({
        error,
        description: expect.stringMatching(new RegExp(`^${field.replace(".", "\\.")}: .*NUL`)),
      });
    }
  });
  it("in a metadata document is invalid_client; in a client_id, an authorization id or a token request, a refusal", async () => {
    const url = "https://nul.example.com/client.json";
    const outcome = await startAuthorization(t.db, {
      actor: alice,
      query: query({ client_id: url }),
      settings,
      clients: { fetch: async () => new Response(JSON.stringify({ client_id: url, client_name: "x\u0000", redirect_uris: [REDIRECT] })) },
    });
    expect(outcome).toMatchObject({ kind: "invalid", message: expect.stringMatching(/client_name: must not contain a NUL/) });
    expect(await startAuthorization(t.db, { actor: alice, query: query({ client_id: "tgc_\u0000" }), settings })).toMatchObject({
      kind: "invalid",
    });
    await expect(pollAuthorization(t.db, { actor: alice, authorizationId: "x\u0000".repeat(10), settings })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(() => parseTokenRequest({ grant_type: "refresh_token", refresh_token: "r\u0000", client_id: clientId })).toThrow(
      /refresh_token: must not contain a NUL/,
    );
  });
});

describe("authorization request validation", () => {
  it("never redirects to an unregistered redirect URI or for an unknown client", async () => {
    expect(
      await startAuthorization(t.db, { actor: alice, query: query({ redirect_uri: "http://127.0.0.1:9/evil" }), settings }),
    ).toMatchObject({
      kind: "invalid",
    });
    expect(await startAuthorization(t.db, { actor: alice, query: query({ client_id: "tgc_nope" }), settings })).toMatchObject({
      kind: "invalid",
    });
  });
  it("sends protocol errors back to the client with state and iss", async () => {
    for (const [overrides, error] of [
      [{ code_challenge_method: "plain" }, "invalid_request"],
      [{ code_challenge: undefined }, "invalid_request"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ resource: undefined }, "invalid_request"],
      [{ resource: "http://localhost:8090/mcp/no-such-server" }, "invalid_target"],
      [{ resource: "https://elsewhere.example.com/mcp/everything" }, "invalid_target"],
      [{ scope: "admin" }, "invalid_scope"],
    ] as const) {
      const outcome = await startAuthorization(t.db, { actor: alice, query: query(overrides), settings });
      expect(outcome.kind, JSON.stringify(overrides)).toBe("redirect");
      const url = new URL((outcome as { url: string }).url);
      expect(`${url.origin}${url.pathname}`).toBe(REDIRECT);
      expect(url.searchParams.get("error"), JSON.stringify(overrides)).toBe(error);
      expect(url.searchParams.get("state")).toBe("st-123");
      expect(url.searchParams.get("iss")).toBe(settings.issuer);
    }
  });
});

describe("consent as access request → code → tokens bound to the grant", () => {
  let accessToken: string;
  let refreshToken: string;
  let grantId: string;

  it("without a grant the page is the request form; approval completes the authorization with a code", async () => {
    const page = (await startAuthorization(t.db, { actor: alice, query: query(), settings })) as ConsentPage;
    expect(page).toMatchObject({
      kind: "consent",
      grant: null,
      canRequest: true,
      client: { name: "Test Client", redirectHost: "127.0.0.1:33418" },
    });
    expect(page.connection.slug).toBe("everything");
    // Someone else's session cannot use the page's token.
    await expect(
      decideAuthorization(t.db, { actor: bob, input: { action: "deny", authorization: page.authorizationId }, settings }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const waiting = await decideAuthorization(t.db, {
      actor: alice,
      input: { action: "request", authorization: page.authorizationId, minutes: 30, reason: "OAuth from my MCP client" },
      settings,
    });
    expect(waiting).toEqual({ kind: "waiting", authorizationId: page.authorizationId });
    const pending = await pollAuthorization(t.db, { actor: alice, authorizationId: page.authorizationId, settings });
    expect(pending).toMatchObject({ status: "pending", request: { status: "PENDING", minutes: 30 } });
    const requestId = (pending as { request: { id: string } }).request.id;
    const approved = await decideAccessRequest(t.db, { actor: bob, requestId, decision: "APPROVE" });
    grantId = approved.grant!.id;
    const done = await pollAuthorization(t.db, { actor: alice, authorizationId: page.authorizationId, settings });
    expect(done).toMatchObject({ status: "done", outcome: "approved" });
    const code = codeOf((done as { redirect: string }).redirect);
    // Single use: the page cannot complete twice.
    await expect(pollAuthorization(t.db, { actor: alice, authorizationId: page.authorizationId, settings })).rejects.toMatchObject({
      code: "GONE",
    });

    await expect(exchange(code, { code_verifier: `${VERIFIER}x` })).rejects.toMatchObject({ error: "invalid_grant" });
    // A failed attempt spent the code too (single use): start again.
    const again = (await startAuthorization(t.db, { actor: alice, query: query(), settings })) as { kind: string; url: string };
    // Consent is remembered for this client and connection, and alice holds a grant: straight back with a code.
    expect(again.kind).toBe("redirect");
    const second = codeOf(again.url);
    await expect(exchange(second, { redirect_uri: "http://127.0.0.1:33418/other" })).rejects.toMatchObject({ error: "invalid_grant" });
    const third = codeOf(((await startAuthorization(t.db, { actor: alice, query: query(), settings })) as { url: string }).url);
    const tokens = await exchange(third);
    expect(tokens).toMatchObject({ token_type: "Bearer", scope: "mcp", access_token: expect.stringMatching(/^tgg_/) });
    // An hour at most, and never past the grant: this 30-minute grant caps it.
    expect(tokens.expires_in).toBeGreaterThan(1700);
    expect(tokens.expires_in).toBeLessThanOrEqual(1800);
    // Replaying the code fails and revokes what it issued.
    await expect(exchange(third)).rejects.toMatchObject({ error: "invalid_grant" });
    expect((await resolveGatewayToken(t.db, tokens.access_token))?.tokenRevokedAt).not.toBeNull();
    await expect(refresh(tokens.refresh_token)).rejects.toMatchObject({ error: "invalid_grant" });

    const fourth = codeOf(((await startAuthorization(t.db, { actor: alice, query: query(), settings })) as { url: string }).url);
    ({ access_token: accessToken, refresh_token: refreshToken } = await exchange(fourth));
    const resolved = await resolveGatewayToken(t.db, accessToken);
    expect(resolved).toMatchObject({ tokenRevokedAt: null, oauthClientId: clientId, grant: { id: grantId } });
    const row = await t.db.gatewayToken.findFirstOrThrow({ where: { id: resolved!.tokenId! } });
    expect(row.resource).toBe(RESOURCE);
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    expect(row.expiresAt!.getTime()).toBeLessThanOrEqual(grant.expiresAt.getTime());
  });

  it("rotates refresh tokens; a replayed one revokes the family", async () => {
    const rotated = await refresh(refreshToken);
    expect(rotated.refresh_token).not.toBe(refreshToken);
    await expect(refresh(refreshToken)).rejects.toMatchObject({
      error: "invalid_grant",
      description: expect.stringMatching(/already used/),
    });
    await expect(refresh(rotated.refresh_token)).rejects.toMatchObject({ error: "invalid_grant" });
    expect((await resolveGatewayToken(t.db, rotated.access_token))?.tokenRevokedAt).not.toBeNull();
  });

  it("caps the access token at the grant's expiry and refuses refresh once the grant is revoked", async () => {
    const code = codeOf(((await startAuthorization(t.db, { actor: alice, query: query(), settings })) as { url: string }).url);
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const tokens = await exchange(code);
    const refreshAt = (now: Date) =>
      exchangeToken(t.db, {
        request: parseTokenRequest({ grant_type: "refresh_token", refresh_token: tokens.refresh_token, client_id: clientId }),
        now,
      });
    // Refreshed a minute before the grant ends: the new access token lives a minute, not an hour.
    const late = await refreshAt(new Date(grant.expiresAt.getTime() - 60_000));
    expect(late.expires_in).toBe(60);
    await expect(
      exchangeToken(t.db, {
        request: parseTokenRequest({ grant_type: "refresh_token", refresh_token: late.refresh_token, client_id: clientId }),
        now: new Date(grant.expiresAt.getTime() + 1000),
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });

    const code2 = codeOf(((await startAuthorization(t.db, { actor: alice, query: query(), settings })) as { url: string }).url);
    const fresh = await exchange(code2);
    await revokeGrant(t.db, { actor: bob, grantId });
    await expect(refresh(fresh.refresh_token)).rejects.toMatchObject({
      error: "invalid_grant",
      description: expect.stringMatching(/revoked/),
    });
    // The access token resolves to a revoked grant: the gateway refuses it (gateway/pipeline/authenticate.ts).
    expect((await resolveGatewayToken(t.db, fresh.access_token))?.grant.revokedAt).not.toBeNull();
  });

  it("a denied access request sends access_denied to the client", async () => {
    const page = (await startAuthorization(t.db, { actor: alice, query: query(), settings })) as ConsentPage;
    expect(page.kind).toBe("consent");
    expect(page.grant).toBeNull();
    await decideAuthorization(t.db, {
      actor: alice,
      input: { action: "request", authorization: page.authorizationId, minutes: 10, reason: "second try" },
      settings,
    });
    const pending = (await pollAuthorization(t.db, { actor: alice, authorizationId: page.authorizationId, settings })) as {
      request: { id: string };
    };
    await decideAccessRequest(t.db, { actor: bob, requestId: pending.request.id, decision: "DENY" });
    const done = (await pollAuthorization(t.db, { actor: alice, authorizationId: page.authorizationId, settings })) as { redirect: string };
    const params = new URL(done.redirect).searchParams;
    expect([params.get("error"), params.get("state"), params.get("iss")]).toEqual(["access_denied", "st-123", settings.issuer]);
  });
});

describe("client ID metadata documents in an authorization", () => {
  it("fetches the document once, names the client by it, and holds the redirect URI to it", async () => {
    const url = "https://client.example.com/oauth/client.json";
    let fetches = 0;
    const clients = {
      fetch: async () => {
        fetches += 1;
        return new Response(JSON.stringify({ client_id: url, client_name: "CIMD Client", redirect_uris: [REDIRECT] }));
      },
    };
    const page = (await startAuthorization(t.db, { actor: alice, query: query({ client_id: url }), settings, clients })) as ConsentPage;
    expect(page).toMatchObject({ kind: "consent", client: { id: url, kind: "metadata_document", name: "CIMD Client" } });
    const wrong = await startAuthorization(t.db, {
      actor: alice,
      query: query({ client_id: url, redirect_uri: "http://127.0.0.1:1/other" }),
      settings,
      clients,
    });
    expect(wrong.kind).toBe("invalid");
    expect(fetches).toBe(1);
    const forged = await startAuthorization(t.db, {
      actor: alice,
      query: query({ client_id: "https://other.example.com/c.json" }),
      settings,
      clients: { fetch: async () => new Response(JSON.stringify({ client_id: url, redirect_uris: [REDIRECT] })) },
    });
    expect(forged).toMatchObject({ kind: "invalid", message: expect.stringMatching(/client_id is not the URL/) });
  });
});

describe("cancelling from the waiting page", () => {
  it("withdraws the access request and sends access_denied", async () => {
    const page = (await startAuthorization(t.db, { actor: alice, query: query(), settings })) as ConsentPage;
    await decideAuthorization(t.db, {
      actor: alice,
      input: { action: "request", authorization: page.authorizationId, minutes: 5, reason: "changed my mind" },
      settings,
    });
    const row = await t.db.oAuthAuthorization.findUniqueOrThrow({ where: { id: page.authorizationId } });
    const outcome = await decideAuthorization(t.db, {
      actor: alice,
      input: { action: "deny", authorization: page.authorizationId },
      settings,
    });
    expect(new URL((outcome as { url: string }).url).searchParams.get("error")).toBe("access_denied");
    expect((await t.db.accessRequest.findUniqueOrThrow({ where: { id: row.accessRequestId! } })).status).toBe("CANCELLED");
  });
});

describe("an authorization left waiting", () => {
  it("ends with access_denied after an hour", async () => {
    const page = (await startAuthorization(t.db, { actor: alice, query: query(), settings })) as ConsentPage;
    const later = new Date(Date.now() + 61 * 60_000);
    const done = await pollAuthorization(t.db, { actor: alice, authorizationId: page.authorizationId, settings, now: later });
    expect(done).toMatchObject({ status: "done", outcome: "denied" });
    expect(new URL((done as { redirect: string }).redirect).searchParams.get("error_description")).toMatch(/expired/);
  });
});

describe("housekeeping", () => {
  it("deletes authorizations, codes and refresh tokens a day after they became unusable, and registered clients never used", async () => {
    const neverUsed = (await registerClient(t.db, { client_name: "Never used", redirect_uris: [REDIRECT] })).client_id;
    const consents = await t.db.oAuthConsent.count();
    const used = await t.db.oAuthClient.findMany({ where: { consents: { some: {} } }, select: { id: true } });
    expect(used.map(({ id }) => id)).toContain(clientId);
    expect(await t.db.oAuthAuthorizationCode.count()).toBeGreaterThan(0);
    expect(await purgeExpiredOAuth(t.db)).toBe(0);
    expect(await t.db.oAuthClient.count({ where: { id: neverUsed } })).toBe(1);
    const purged = await purgeExpiredOAuth(t.db, new Date(Date.now() + 3 * 24 * 60 * 60_000));
    expect(purged).toBeGreaterThan(0);
    expect(await t.db.oAuthAuthorizationCode.count()).toBe(0);
    expect(await t.db.oAuthAuthorization.count()).toBe(0);
    expect(await t.db.oAuthRefreshToken.count()).toBe(0);
    // Registered and never used: gone after a day. Clients with a consent stay (their users said yes).
    expect(await t.db.oAuthClient.count({ where: { id: neverUsed } })).toBe(0);
    expect(await t.db.oAuthClient.count({ where: { id: { in: used.map(({ id }) => id) } } })).toBe(used.length);
    expect(await t.db.oAuthConsent.count()).toBe(consents);
  });
  it("deletes any client, with its consents, after 90 days without an authorization, code, refresh or access token", async () => {
    const day = 24 * 60 * 60_000;
    // The flows above issued access tokens to the client, now: 89 days on it is not idle.
    await purgeExpiredOAuth(t.db, new Date(Date.now() + 89 * day));
    expect(await t.db.oAuthClient.count({ where: { id: clientId } })).toBe(1);
    // Its authorizations, codes and refresh tokens are long purged; an access token issued on day 89 keeps it past day 90.
    const token = await t.db.gatewayToken.findFirstOrThrow({ where: { oauthClientId: clientId } });
    await t.db.gatewayToken.update({ where: { id: token.id }, data: { createdAt: new Date(Date.now() + 89 * day) } });
    await purgeExpiredOAuth(t.db, new Date(Date.now() + 91 * day));
    expect(await t.db.oAuthClient.count({ where: { id: clientId } })).toBe(1);
    expect(await t.db.oAuthConsent.count({ where: { clientId } })).toBeGreaterThan(0);
    // 90 days after that token: gone, with its consents.
    expect(await purgeExpiredOAuth(t.db, new Date(Date.now() + 180 * day))).toBeGreaterThan(0);
    expect(await t.db.oAuthClient.count()).toBe(0);
    expect(await t.db.oAuthConsent.count()).toBe(0);
  });
});
