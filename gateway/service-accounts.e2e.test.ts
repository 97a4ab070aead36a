import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccessRequest } from "../lib/access/create-access-request.ts";
import { decideAccessRequest } from "../lib/access/decide-access-request.ts";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { createApiToken } from "../lib/tokens/create-api-token.ts";
import { JwtVerifier } from "../lib/tokens/jwt-verifier.ts";
import { mintGatewayToken } from "../lib/tokens/mint-gateway-token.ts";
import { listServiceAccounts } from "../lib/users/list-service-accounts.ts";
import { authenticateApiJwt, InvalidBearerTokenError } from "../lib/users/service-accounts.ts";
import { type DevIdp, startDevIdp } from "../scripts/dev-idp.ts";
import { mcpClient as connectTo, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { hmacToken, type JwksServer, makeKey, startJwksServer, type TestKey, unsignedToken } from "../test/jwks-server.ts";
import { waitFor } from "../test/wait-for.ts";

// Automation identities end to end: the dev IdP issues a client-credentials JWT to ci-bot, which
// requests access with it, bob approves, and an SDK client calls echo through the gateway with the
// JWT as its bearer token; the session is recorded under the service account. Bad tokens (expired,
// not yet valid, wrong audience or issuer, unsigned, HS256, unknown key) each get their own 401.

const SECRET = "ci-bot-test-secret";
let idp: DevIdp;
let keys: JwksServer;
let untrusted: JwksServer;
let key: TestKey;
let harness: TestGateway;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  idp = await startDevIdp({
    port: 0,
    clients: [],
    serviceAccounts: [{ clientId: "ci-bot", clientSecret: SECRET, groups: ["engineering"], name: "CI bot" }],
  });
  key = await makeKey("k1");
  keys = await startJwksServer([key]);
  untrusted = await startJwksServer([key]);
  harness = await startTestGateway({
    jwt: { issuers: [{ issuer: idp.issuer }, { issuer: keys.issuer }], audiences: ["tollgate"], jwksCooldownMs: 0 },
  });
});
afterAll(async () => {
  await harness?.stop();
  await idp?.close();
  await keys?.close();
  await untrusted?.close();
});

async function clientCredentialsToken(): Promise<string> {
  const response = await fetch(idp.tokenEndpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`ci-bot:${SECRET}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

const INITIALIZE = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

async function initializeWith(token: string) {
  const response = await fetch(`${harness.gateway.url}/mcp/everything`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${token}` },
    body: INITIALIZE,
  });
  const json = (await response.json()) as { error: { code: number; message: string; data: { reason: string; tokenError?: string } } };
  return { status: response.status, wwwAuthenticate: response.headers.get("www-authenticate"), error: json.error };
}

describe("service accounts at the gateway", () => {
  it("a client-credentials JWT requests access, is approved by bob and calls echo, recorded under the service account", async () => {
    const { t, users } = harness;
    const jwt = await clientCredentialsToken();

    // Known on first use, but without a grant: told to request access.
    const before = await initializeWith(jwt);
    expect(before.status).toBe(403);
    expect(before.error.message).toMatch(/CI bot has no grant for "everything"\. Request access/);
    const account = await t.db.user.findUniqueOrThrow({ where: { subject: "ci-bot" } });
    expect(account).toMatchObject({ kind: "SERVICE", issuer: idp.issuer, name: "CI bot", groups: ["engineering"], roles: ["REQUESTER"] });
    expect(account.email).toBe("ci-bot@127.0.0.1.service.invalid");
    expect(account.lastSeenAt).not.toBeNull();

    // The API's JWT path resolves the same identity; it requests access with it.
    const verifier = new JwtVerifier({ issuers: [{ issuer: idp.issuer }], audiences: ["tollgate"] });
    const actor = await authenticateApiJwt(t.db, jwt, verifier);
    expect(actor).toMatchObject({ id: account.id, kind: "SERVICE", roles: ["REQUESTER"] });
    const request = await createAccessRequest(t.db, { actor: actor!, connectionSlug: "everything", minutes: 15, reason: "nightly CI" });
    // No self-approval (a requester may not decide at all); bob approves.
    await expect(decideAccessRequest(t.db, { actor: actor!, requestId: request.id, decision: "APPROVE" })).rejects.toThrow();
    const approved = await decideAccessRequest(t.db, { actor: users.bob, requestId: request.id, decision: "APPROVE" });
    expect(approved.status).toBe("APPROVED");

    // The SDK client with the JWT as its bearer token.
    const { client, transport } = connectTo(harness.gateway.url, jwt);
    await client.connect(transport);
    const echo = await client.callTool({ name: "echo", arguments: { message: "from CI" } });
    expect(JSON.stringify(echo)).toContain("from CI");
    const sessionId = transport.sessionId!;
    await transport.terminateSession();
    await client.close();
    await waitFor(async () => (await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).endedAt !== null);
    const session = await t.db.session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session).toMatchObject({ userId: account.id, grantId: approved.grant!.id, gatewayTokenId: null });
    const call = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId, method: "tools/call" } });
    expect(call.tool).toBe("echo");
    expect(JSON.stringify(await t.db.sessionEvent.findMany({ where: { sessionId }, select: { payload: true } }))).not.toContain(jwt);

    // It may mint a gateway token for its grant too.
    const minted = await mintGatewayToken(t.db, { actor: actor!, grantId: approved.grant!.id });
    expect(minted.token).toMatch(/^tgg_/);
    // …but not a personal API token: its credential stays the IdP's short-lived one.
    await expect(createApiToken(t.db, { actor: actor!, name: "long-lived" })).rejects.toThrow(
      /Service accounts cannot create personal API tokens/,
    );

    // Listed for admins with its last use and active grant.
    const listed = await listServiceAccounts(t.db, { actor: users.carol });
    expect(listed).toEqual([expect.objectContaining({ id: account.id, name: "CI bot", activeGrants: 1, lastSeenAt: expect.any(String) })]);
    await expect(listServiceAccounts(t.db, { actor: users.alice })).rejects.toThrow(/service accounts/);

    // Revoked: the JWT no longer opens anything.
    await revokeGrant(t.db, { actor: users.bob, grantId: approved.grant!.id, reason: "done" });
    const after = await initializeWith(jwt);
    expect(after.status).toBe(403);
    expect(after.error.data.reason).toBe("GRANT_REVOKED");
  });

  it("answers each bad token with its own 401 and WWW-Authenticate: Bearer error=invalid_token", async () => {
    const base = { iss: keys.issuer, aud: "tollgate", sub: "svc-a" };
    const cases: Array<[string, string, RegExp]> = [
      [await keys.sign(key, { ...base, iat: now() - 3600, exp: now() - 600 }), "expired", /expired at/],
      [await keys.sign(key, { ...base, nbf: now() + 3600 }), "not_yet_valid", /not valid yet/],
      [await keys.sign(key, { ...base, aud: "https://graph.example.com" }), "wrong_audience", /audience/],
      [await untrusted.sign(key, { ...base, iss: untrusted.issuer }), "wrong_issuer", /not trusted/],
      [unsignedToken({ ...base, exp: now() + 300 }), "unsupported_algorithm", /algorithm "none"/],
      [await hmacToken({ ...base, exp: now() + 300 }), "unsupported_algorithm", /algorithm "HS256"/],
      [await keys.sign(await makeKey("not-published"), { ...base }), "unknown_key", /key the issuer does not publish/],
      ["eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "malformed", /well-formed/],
      [await keys.sign(key, { ...base, sub: "alice" }), "not_a_service_account", /person/],
    ];
    const messages = new Set<string>();
    for (const [token, tokenError, message] of cases) {
      const answer = await initializeWith(token);
      expect(answer.status, tokenError).toBe(401);
      expect(answer.error).toMatchObject({ code: -32011, data: { reason: "UNAUTHENTICATED", tokenError } });
      expect(answer.error.message).toMatch(message);
      expect(answer.wwwAuthenticate).toMatch(
        /^Bearer realm="tollgate", error="invalid_token", error_description="[^"]+", resource_metadata="[^"]+", scope="mcp"$/,
      );
      messages.add(answer.error.message);
    }
    expect(messages.size).toBe(cases.length);
    // Nothing was created for the refused tokens.
    expect(await harness.t.db.user.count({ where: { subject: "svc-a" } })).toBe(0);
  });

  it("follows the issuer's key rotation: a new key is accepted once its JWKS publishes it", async () => {
    const rotated = await makeKey("k2", "ES256");
    const token = await keys.sign(rotated, { sub: "svc-rotated" });
    expect((await initializeWith(token)).error.data.tokenError).toBe("unknown_key");
    keys.publish([key, rotated]);
    // Authenticated now: it is a service account without a grant (403, not 401).
    const answer = await initializeWith(token);
    expect(answer.status).toBe(403);
    expect(answer.error.data.reason).toBe("WRONG_CONNECTION");
  });

  it("the API's JWT path refuses bad tokens with the reason, and ignores what is not a JWT", async () => {
    const verifier = new JwtVerifier({ issuers: [{ issuer: keys.issuer }], audiences: ["tollgate"] });
    const expired = await keys.sign(key, { sub: "svc-b", iat: now() - 3600, exp: now() - 600 });
    const refused = await authenticateApiJwt(harness.t.db, expired, verifier).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidBearerTokenError);
    expect(refused).toMatchObject({ code: "UNAUTHENTICATED", reason: "expired" });
    await expect(authenticateApiJwt(harness.t.db, "tg_notajwt", verifier)).resolves.toBeNull();
    await expect(authenticateApiJwt(harness.t.db, await keys.sign(key, { sub: "svc-b" }), null)).rejects.toMatchObject({
      reason: "wrong_issuer",
    });
  });
});
