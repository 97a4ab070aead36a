import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hmacToken, type JwksServer, makeKey, startJwksServer, type TestKey, unsignedToken } from "../../test/jwks-server.ts";
import { jwtVerifierConfig } from "./jwt-config.ts";
import { JwtError, type JwtFailure, JwtVerifier, looksLikeJwt } from "./jwt-verifier.ts";

let idp: JwksServer;
let other: JwksServer;
let key: TestKey;
let verifier: JwtVerifier;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  key = await makeKey("key-1");
  idp = await startJwksServer([key]);
  other = await startJwksServer([key]);
  verifier = new JwtVerifier({ issuers: [{ issuer: idp.issuer }], audiences: ["tollgate"], jwksCooldownMs: 0, groupsClaim: "groups" });
});
afterAll(async () => {
  await idp?.close();
  await other?.close();
});

async function failure(token: string, using = verifier): Promise<{ failure: JwtFailure; message: string }> {
  try {
    await using.verify(token);
  } catch (error) {
    if (error instanceof JwtError) return { failure: error.failure, message: error.message };
    throw error;
  }
  throw new Error("token was accepted");
}

describe("JwtVerifier", () => {
  it("accepts a token signed by a trusted issuer's published key, for Tollgate's audience", async () => {
    const token = await idp.sign(key, { sub: "ci-bot", groups: ["engineering"], client_id: "ci-bot" });
    expect(looksLikeJwt(token)).toBe(true);
    const verified = await verifier.verify(token);
    expect(verified).toMatchObject({ issuer: idp.issuer, subject: "ci-bot", name: "ci-bot", groups: ["engineering"] });
  });

  it("reads groups from a dotted claim path and an audience array", async () => {
    const keycloak = new JwtVerifier({ issuers: [{ issuer: idp.issuer }], audiences: ["tollgate"], groupsClaim: "realm_access.roles" });
    const token = await idp.sign(key, { sub: "svc", aud: ["account", "tollgate"], realm_access: { roles: ["sre-leads"] } });
    expect((await keycloak.verify(token)).groups).toEqual(["sre-leads"]);
  });

  it("refuses expired tokens, beyond the clock skew only", async () => {
    const expired = await idp.sign(key, { sub: "ci-bot", iat: now() - 3600, exp: now() - 120 });
    expect(await failure(expired)).toMatchObject({ failure: "expired", message: expect.stringContaining("expired at") });
    const withinSkew = await idp.sign(key, { sub: "ci-bot", iat: now() - 3600, exp: now() - 30 });
    await expect(verifier.verify(withinSkew)).resolves.toMatchObject({ subject: "ci-bot" });
  });

  it("refuses tokens not valid yet (nbf)", async () => {
    const early = await idp.sign(key, { sub: "ci-bot", nbf: now() + 600 });
    expect((await failure(early)).failure).toBe("not_yet_valid");
  });

  it("refuses a token for another audience, naming the expected one", async () => {
    const token = await idp.sign(key, { sub: "ci-bot", aud: "https://graph.example.com" });
    expect(await failure(token)).toMatchObject({ failure: "wrong_audience", message: expect.stringContaining("tollgate") });
  });

  it("refuses an untrusted issuer without fetching its keys", async () => {
    const before = other.fetches;
    const token = await other.sign(key, { sub: "ci-bot" });
    expect(await failure(token)).toMatchObject({ failure: "wrong_issuer", message: expect.stringContaining(other.issuer) });
    expect(other.fetches).toBe(before);
  });

  it("refuses unsigned (alg: none) and HS256 tokens", async () => {
    const claims = { iss: idp.issuer, aud: "tollgate", sub: "ci-bot", exp: now() + 300 };
    expect((await failure(unsignedToken(claims))).failure).toBe("unsupported_algorithm");
    expect((await failure(await hmacToken(claims))).failure).toBe("unsupported_algorithm");
  });

  it("refuses a forged signature and malformed tokens", async () => {
    const token = await idp.sign(key, { sub: "ci-bot" });
    const [header, payload] = token.split(".");
    const forgedPayload = Buffer.from(JSON.stringify({ iss: idp.issuer, aud: "tollgate", sub: "admin", exp: now() + 300 })).toString(
      "base64url",
    );
    expect((await failure(`${header}.${forgedPayload}.${token.split(".")[2]}`)).failure).toBe("bad_signature");
    expect((await failure(`${header}.${payload}`)).failure).toBe("malformed");
    expect((await failure("not-a-jwt")).failure).toBe("malformed");
    expect((await failure(await idp.sign(key, { sub: undefined }))).failure).toBe("malformed");
  });

  it("follows key rotation: an unknown key is refused until the issuer publishes it", async () => {
    const rotated = await makeKey("key-2", "ES256");
    const token = await idp.sign(rotated, { sub: "ci-bot" });
    expect(await failure(token)).toMatchObject({ failure: "unknown_key" });
    idp.publish([key, rotated]);
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: "ci-bot" });
    // The old key is retired: its tokens stop verifying.
    idp.publish([rotated]);
    const old = await idp.sign(key, { sub: "ci-bot", jti: "old" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const fresh = new JwtVerifier({ issuers: [{ issuer: idp.issuer }], audiences: ["tollgate"] });
    expect((await failure(old, fresh)).failure).toBe("unknown_key");
  });

  it("says when the issuer's keys cannot be fetched", async () => {
    const down = new JwtVerifier({ issuers: [{ issuer: "http://127.0.0.1:1" }], audiences: ["tollgate"], timeoutMs: 500 });
    const token = await idp.sign(key, { iss: "http://127.0.0.1:1", sub: "ci-bot" });
    expect((await failure(token, down)).failure).toBe("keys_unavailable");
  });
});

describe("typ (RFC 9068)", () => {
  it("accepts any typ by default, and only the configured one when TOLLGATE_JWT_TYP is set", async () => {
    const typed = await startJwksServer([key]);
    const lenient = new JwtVerifier({ issuers: [{ issuer: typed.issuer }], audiences: ["tollgate"] });
    const strict = new JwtVerifier({ issuers: [{ issuer: typed.issuer }], audiences: ["tollgate"], requiredType: "at+jwt" });
    const access = await typed.sign(key, { sub: "ci-bot" }, { typ: "at+jwt" });
    const idToken = await typed.sign(key, { sub: "ci-bot" }, { typ: "JWT" });
    expect((await lenient.verify(idToken)).subject).toBe("ci-bot");
    expect((await strict.verify(access)).subject).toBe("ci-bot");
    expect(await failure(idToken, strict)).toMatchObject({ failure: "wrong_type", message: expect.stringMatching(/at\+jwt/) });
    expect(jwtVerifierConfig({ OIDC_ISSUER: "https://idp.example.com", TOLLGATE_JWT_TYP: "at+jwt" })?.requiredType).toBe("at+jwt");
    expect(jwtVerifierConfig({ OIDC_ISSUER: "https://idp.example.com" })?.requiredType).toBeUndefined();
    await typed.close();
  });
});

describe("jwtVerifierConfig", () => {
  it("trusts OIDC_ISSUER by default, audience tollgate, 60 s skew, asymmetric algorithms", () => {
    expect(jwtVerifierConfig({ OIDC_ISSUER: "https://idp.example.com" })).toMatchObject({
      issuers: [{ issuer: "https://idp.example.com" }],
      audiences: ["tollgate"],
      clockSkewSeconds: 60,
      algorithms: ["RS256", "ES256", "PS256", "EdDSA"],
      groupsClaim: "groups",
    });
  });

  it("takes TOLLGATE_JWT_* over the defaults, and can be turned off", () => {
    const config = jwtVerifierConfig({
      OIDC_ISSUER: "https://idp.example.com",
      TOLLGATE_JWT_ISSUERS: "https://a.example.com, https://b.example.com/v2.0",
      TOLLGATE_JWT_AUDIENCE: "api://tollgate",
      TOLLGATE_JWT_GROUPS_CLAIM: "roles",
      TOLLGATE_JWT_CLOCK_SKEW_SECONDS: "5",
    });
    expect(config).toMatchObject({
      issuers: [{ issuer: "https://a.example.com" }, { issuer: "https://b.example.com/v2.0" }],
      audiences: ["api://tollgate"],
      groupsClaim: "roles",
      clockSkewSeconds: 5,
    });
    expect(jwtVerifierConfig({ OIDC_ISSUER: "https://idp.example.com", TOLLGATE_JWT_ISSUERS: "none" })).toBeNull();
    expect(jwtVerifierConfig({})).toBeNull();
  });

  it("refuses none and HS* in the algorithm list", () => {
    expect(() => jwtVerifierConfig({ OIDC_ISSUER: "https://i.example.com", TOLLGATE_JWT_ALGORITHMS: "RS256,none" })).toThrow(
      /TOLLGATE_JWT_ALGORITHMS/,
    );
    expect(() => jwtVerifierConfig({ OIDC_ISSUER: "https://i.example.com", TOLLGATE_JWT_ALGORITHMS: "HS256" })).toThrow(/never none/);
  });
});
