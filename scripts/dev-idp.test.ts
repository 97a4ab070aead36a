import { createHash, randomBytes } from "node:crypto";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_USERS, type DevIdp, startDevIdp } from "./dev-idp.ts";

const CLIENT_ID = "tollgate-test";
const CLIENT_SECRET = "test-secret";
const REDIRECT_URI = "http://127.0.0.1:1/callback";

/** Tiny cookie jar: the provider scopes cookies by path, but sending all of them is harmless here. */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = header.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

async function request(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header();
  if (cookie) headers.set("cookie", cookie);
  const response = await fetch(url, { ...init, headers, redirect: "manual" });
  jar.store(response);
  return response;
}

/** Follows redirects on the IdP until one points elsewhere (the client's redirect_uri) or a page renders. */
async function follow(jar: CookieJar, issuer: string, response: Response): Promise<{ response: Response; url?: string }> {
  let current = response;
  for (let hops = 0; hops < 10; hops += 1) {
    const location = current.headers.get("location");
    if (current.status < 300 || current.status >= 400 || !location) return { response: current };
    await current.arrayBuffer();
    const next = new URL(location, issuer).href;
    if (!next.startsWith(issuer)) return { response: current, url: next };
    current = await request(jar, next);
  }
  throw new Error("too many redirects");
}

describe("dev IdP", () => {
  let idp: DevIdp;

  beforeAll(async () => {
    idp = await startDevIdp({
      port: 0,
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] }],
    });
  });

  afterAll(async () => {
    await idp?.close();
  });

  it("exports the three demo users", () => {
    expect(DEMO_USERS.map((u) => u.email)).toEqual(["alice@example.com", "bob@example.com", "carol@example.com"]);
  });

  it("serves discovery for its issuer", async () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const config = (await response.json()) as Record<string, unknown>;
    expect(config.issuer).toBe(idp.issuer);
    expect(config.scopes_supported).toEqual(expect.arrayContaining(["openid", "email", "profile", "groups"]));
    expect(config.claims_supported).toEqual(expect.arrayContaining(["email", "email_verified", "name", "groups"]));
    expect(config.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(["client_secret_basic", "client_secret_post"]));
    const jwks = (await (await fetch(String(config.jwks_uri))).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
    expect(jwks.keys[0]?.d).toBeUndefined();
  });

  it("runs a full authorization-code flow with PKCE and state", async () => {
    const jar = new CookieJar();
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const state = randomBytes(16).toString("base64url");

    const authUrl = new URL("/auth", idp.issuer);
    authUrl.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: "code",
      scope: "openid email profile groups",
      redirect_uri: REDIRECT_URI,
      state,
      code_challenge: challenge,
      code_challenge_method: "S256",
    }).toString();

    // /auth -> /interaction/:uid renders our login page.
    const start = await request(jar, authUrl.href);
    expect(start.status).toBe(303);
    const interactionUrl = new URL(start.headers.get("location") ?? "", idp.issuer).href;
    expect(interactionUrl).toMatch(/\/interaction\/[\w-]+$/);
    await start.arrayBuffer();

    const page = await request(jar, interactionUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("<title>Tollgate development IdP</title>");
    expect(html).toContain("Development only — do not use in production");
    expect(html).toMatch(/<input[^>]*name="login"/);
    expect(html).toMatch(/<input[^>]*name="password"/);
    expect(html).toContain("Sign in");
    expect(html).toContain("bob@example.com");

    const loginUrl = `${interactionUrl}/login`;
    const post = (login: string, password: string) =>
      request(jar, loginUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ login, password }).toString(),
      });

    // Wrong password re-renders the form with an error and no redirect.
    const wrong = await post("bob@example.com", "nope");
    expect(wrong.status).toBe(200);
    const wrongHtml = await wrong.text();
    expect(wrongHtml).toContain("Invalid email or password");
    expect(wrongHtml).toMatch(/<input[^>]*name="login"/);

    // Right credentials: login -> (auto consent) -> redirect_uri?code&state.
    const right = await post("bob@example.com", "tollgate-dev");
    expect(right.status).toBe(303);
    const { url: callback } = await follow(jar, idp.issuer, right);
    expect(callback).toBeDefined();
    const callbackUrl = new URL(callback ?? "");
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(REDIRECT_URI);
    expect(callbackUrl.searchParams.get("state")).toBe(state);
    const code = callbackUrl.searchParams.get("code");
    expect(code).toBeTruthy();

    // Token exchange with client_secret_basic.
    const tokenResponse = await fetch(`${idp.issuer}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
      },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: code ?? "",
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      }).toString(),
    });
    expect(tokenResponse.status).toBe(200);
    const tokens = (await tokenResponse.json()) as { access_token: string; id_token: string; token_type: string };
    expect(tokens.token_type).toBe("Bearer");

    const idToken = decodeJwt(tokens.id_token);
    expect(idToken.iss).toBe(idp.issuer);
    expect(idToken.aud).toBe(CLIENT_ID);
    expect(idToken.sub).toBe("bob");
    expect(idToken.email).toBe("bob@example.com");
    expect(idToken.name).toBe("Bob Approver");
    expect(idToken.groups).toEqual(expect.arrayContaining(["sre-leads"]));

    const userinfo = await fetch(`${idp.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(200);
    const claims = (await userinfo.json()) as Record<string, unknown>;
    expect(claims).toMatchObject({ sub: "bob", email: "bob@example.com", email_verified: true });
    expect(claims.groups).toEqual(["engineering", "sre-leads"]);
  });

  it("accepts client_secret_post at the token endpoint", async () => {
    // An invalid code still proves client auth passed: the error is invalid_grant, not invalid_client.
    const response = await fetch(`${idp.issuer}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: "not-a-real-code",
        redirect_uri: REDIRECT_URI,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }).toString(),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe("invalid_grant");
  });
});
