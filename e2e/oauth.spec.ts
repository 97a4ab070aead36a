import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type OAuthClientProvider, UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { apiAs, DESKTOP, gatewayUrl, noHorizontalScroll, PHONE, portalUrl, shot } from "./helpers";

// An MCP client that signs in with OAuth by itself, end to end on the real stack: the SDK's
// auth() discovers the portal from the gateway's 401, registers (DCR) and opens the authorization
// URL; alice signs in, has no grant, so the consent page is the access request form; it waits live
// until bob approves, then redirects to the client's loopback URI with code, state and iss; the SDK
// exchanges the code and tools/call works through the gateway; bob revokes the grant and the
// token stops working (401).

/** The SDK's OAuthClientProvider for a client whose "browser" is Playwright. */
class TestProvider implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  constructor(
    readonly redirect: string,
    readonly name = "Playwright MCP Client",
  ) {}
  get redirectUrl() {
    return this.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.name,
      redirect_uris: [this.redirect],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  state() {
    return "state-e2e-42";
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  /** What a real client does when the server says its tokens (or its registration) are no good. */
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery") {
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "client") this.info = undefined;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

/** Revokes alice's active grants on `everything` (another spec may have left one), so the consent page is the request form. */
async function giveUpGrants(request: APIRequestContext): Promise<void> {
  const alice = apiAs(request, "alice");
  const grants = (await (await alice.get("/grants?scope=mine&active=true")).json()) as Array<{ id: string; connection?: { slug: string } }>;
  for (const grant of grants.filter((g) => g.connection?.slug === "everything")) {
    expect((await alice.post(`/grants/${grant.id}/revoke`, { reason: "e2e: start from no grant" })).status()).toBe(200);
  }
}

/** The client's loopback redirect URI: remembers what the authorization server sent back. */
async function loopbackReceiver(): Promise<{ server: Server; url: string; received: Promise<URLSearchParams> }> {
  let resolve: (params: URLSearchParams) => void = () => undefined;
  const received = new Promise<URLSearchParams>((r) => {
    resolve = r;
  });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/callback") resolve(url.searchParams);
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<h1>Signed in. You can close this tab.</h1>");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, received };
}

test("an MCP client signs in with OAuth: consent is the access request, approved live, token dies with the grant", async ({
  page,
  request,
}) => {
  test.setTimeout(150_000);
  await giveUpGrants(request);
  const loopback = await loopbackReceiver();
  const provider = new TestProvider(loopback.url);
  const serverUrl = new URL(`${gatewayUrl()}/mcp/everything`);
  try {
    // 1. No token: the gateway's 401 names its protected resource metadata; the SDK discovers the
    //    portal, registers and asks to open the authorization URL.
    const first = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    await expect(new Client({ name: "e2e-oauth", version: "1.0.0" }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.info?.client_id).toMatch(/^tgc_/);
    const authorizationUrl = provider.authorizationUrl!;
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${portalUrl()}/oauth/authorize`);
    expect(authorizationUrl.searchParams.get("resource")).toBe(serverUrl.href);
    expect(authorizationUrl.searchParams.get("code_challenge_method")).toBe("S256");

    // 2. The browser: sign in as alice, straight back to the consent page.
    await page.setViewportSize(DESKTOP);
    await page.goto(authorizationUrl.href);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator('input[name="login"]').fill("alice@example.com");
    await page.locator('input[name="password"]').fill("tollgate-dev");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: /Playwright MCP Client asks for access to/ })).toBeVisible();
    await expect(page.getByTestId("oauth-redirect-host")).toHaveText(new URL(loopback.url).host);
    await expect(page.getByTestId("oauth-client-name")).toContainText("self-registered, not verified");
    await shot(page, "oauth-01-request-consent-desktop");
    await page.setViewportSize(PHONE);
    await noHorizontalScroll(page);
    await shot(page, "oauth-02-request-consent-phone");
    await page.setViewportSize(DESKTOP);

    // 3. The consent page is the access request form; filing it waits live for an approver.
    await page.getByLabel(/Minutes/).fill("15");
    await page.getByLabel("Reason").fill("Let my MCP client use everything");
    await page.getByRole("button", { name: "Request access" }).click();
    await expect(page.getByRole("heading", { name: "Waiting for an approver" })).toBeVisible();
    await expect(page.getByTestId("oauth-waiting")).toContainText("updates live");
    await shot(page, "oauth-03-waiting-desktop");
    await page.setViewportSize(PHONE);
    await noHorizontalScroll(page);
    await shot(page, "oauth-04-waiting-phone");
    await page.setViewportSize(DESKTOP);

    // 4. bob approves through the API; the waiting tab sends alice back to the client with the code.
    const bob = apiAs(request, "bob");
    const pending = (await (await bob.get("/access-requests?scope=pending")).json()) as Array<{ id: string; reason: string }>;
    const mine = pending.find((r) => r.reason === "Let my MCP client use everything");
    expect(mine).toBeDefined();
    const approval = await bob.post(`/access-requests/${mine!.id}/approve`, { comment: "ok" });
    expect(approval.status()).toBe(200);
    const grantId = ((await approval.json()) as { grant: { id: string } }).grant.id;
    const params = await loopback.received;
    await page.waitForURL((url) => url.href.startsWith(loopback.url));
    expect(params.get("iss")).toBe(new URL(portalUrl()).origin);
    expect(params.get("state")).toBe("state-e2e-42");
    const code = params.get("code")!;
    expect(code).toBeTruthy();

    // 5. The SDK exchanges the code; tools/call works through the gateway with the OAuth token.
    await first.finishAuth(code);
    expect(provider.saved).toMatchObject({ token_type: expect.stringMatching(/bearer/i), refresh_token: expect.stringMatching(/^tgr_/) });
    const client = new Client({ name: "e2e-oauth", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: provider }));
    const echoed = await client.callTool({ name: "echo", arguments: { message: "hello over OAuth" } });
    expect(JSON.stringify(echoed)).toContain("hello over OAuth");
    await client.close();

    // 6. A second client while alice holds the grant: the consent page asks to allow it until the grant's expiry.
    const loopback2 = await loopbackReceiver();
    try {
      const second = new TestProvider(loopback2.url, "Second Client");
      await expect(
        new Client({ name: "e2e-oauth-2", version: "1.0.0" }).connect(
          new StreamableHTTPClientTransport(serverUrl, { authProvider: second }),
        ),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      await page.goto(second.authorizationUrl!.href);
      await expect(page.getByRole("heading", { name: /Allow Second Client to use Everything/ })).toBeVisible();
      await expect(page.getByTestId("oauth-consent-text")).toContainText("until");
      await shot(page, "oauth-05-allow-consent-desktop");
      await page.setViewportSize(PHONE);
      await noHorizontalScroll(page);
      await shot(page, "oauth-06-allow-consent-phone");
      await page.setViewportSize(DESKTOP);
      await page.getByRole("button", { name: "Approve" }).click();
      const params2 = await loopback2.received;
      expect([params2.get("state"), params2.get("iss")]).toEqual(["state-e2e-42", new URL(portalUrl()).origin]);
      const transport2 = new StreamableHTTPClientTransport(serverUrl, { authProvider: second });
      await transport2.finishAuth(params2.get("code")!);
      const client2 = new Client({ name: "e2e-oauth-2", version: "1.0.0" });
      await client2.connect(new StreamableHTTPClientTransport(serverUrl, { authProvider: second }));
      expect((await client2.listTools()).tools.some((tool) => tool.name === "echo")).toBe(true);
      await client2.close();
      // Consent is remembered for this user, client and connection: the next authorization needs no click.
      second.authorizationUrl = undefined;
      second.saved = undefined;
      await expect(
        new Client({ name: "e2e-oauth-2", version: "1.0.0" }).connect(
          new StreamableHTTPClientTransport(serverUrl, { authProvider: second }),
        ),
      ).rejects.toBeInstanceOf(UnauthorizedError);
      await page.goto(second.authorizationUrl!.href);
      await page.waitForURL((url) => url.href.startsWith(loopback2.url));
    } finally {
      loopback2.server.close();
    }

    // 7. bob revokes the grant: the access token stops working at once (401, so clients authorize again).
    expect((await bob.post(`/grants/${grantId}/revoke`, { reason: "e2e" })).status()).toBe(200);
    const refused = await fetch(serverUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${provider.saved!.access_token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "e2e", version: "1" } },
      }),
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('error="invalid_token"');
    // The refresh token died with the grant too: the SDK falls back to a new authorization.
    const again = new StreamableHTTPClientTransport(serverUrl, { authProvider: provider });
    provider.authorizationUrl = undefined;
    await expect(new Client({ name: "e2e-oauth", version: "1.0.0" }).connect(again)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(provider.saved).toBeUndefined();
    expect((provider.authorizationUrl as URL | undefined)?.pathname).toBe("/oauth/authorize");
  } finally {
    loopback.server.close();
  }
});

test("the authorization server's endpoints answer in OAuth terms", async ({ request }) => {
  const metadata = (await (await request.get(`${portalUrl()}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
  expect(metadata).toMatchObject({
    issuer: new URL(portalUrl()).origin,
    code_challenge_methods_supported: ["S256"],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  });
  const resource = await (await fetch(`${gatewayUrl()}/.well-known/oauth-protected-resource/mcp/everything`)).json();
  expect(resource).toMatchObject({ resource: `${gatewayUrl()}/mcp/everything`, authorization_servers: [new URL(portalUrl()).origin] });

  const badRedirect = await request.post(`${portalUrl()}/oauth/register`, { data: { redirect_uris: ["http://evil.example.com/cb"] } });
  expect(badRedirect.status()).toBe(400);
  expect(await badRedirect.json()).toMatchObject({ error: "invalid_redirect_uri" });
  const registered = await request.post(`${portalUrl()}/oauth/register`, {
    data: { redirect_uris: ["http://127.0.0.1:9/cb"], client_name: "x" },
  });
  expect(registered.status()).toBe(201);
  const { client_id } = (await registered.json()) as { client_id: string };

  const json = await request.post(`${portalUrl()}/oauth/token`, { data: { grant_type: "authorization_code" } });
  expect(json.status()).toBe(400);
  expect(await json.json()).toMatchObject({ error: "invalid_request" });
  const unknownCode = await request.post(`${portalUrl()}/oauth/token`, {
    form: {
      grant_type: "authorization_code",
      code: "nope",
      redirect_uri: "http://127.0.0.1:9/cb",
      client_id,
      code_verifier: "x".repeat(43),
    },
  });
  expect(unknownCode.status()).toBe(400);
  expect(unknownCode.headers()["cache-control"]).toContain("no-store");
  expect(await unknownCode.json()).toMatchObject({ error: "invalid_grant" });
  const implicit = await request.post(`${portalUrl()}/oauth/token`, { form: { grant_type: "password", username: "a", password: "b" } });
  expect(await implicit.json()).toMatchObject({ error: "unsupported_grant_type" });
});

test("dynamic client registration is rate limited per address: 20 at once, then 429 with Retry-After", async ({ request }) => {
  // An address of its own (Next.js keeps a forwarded address it is given), so other specs' registrations are not held up.
  const headers = { "x-forwarded-for": `198.51.100.${Math.floor(Math.random() * 250) + 1}` };
  // Refused registrations count too: an empty object is a 400 that creates nothing.
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const response = await request.post(`${portalUrl()}/oauth/register`, { data: {}, headers });
    expect(response.status(), `attempt ${attempt + 1}`).toBe(400);
  }
  const limited = await request.post(`${portalUrl()}/oauth/register`, { data: {}, headers });
  expect(limited.status()).toBe(429);
  expect(Number(limited.headers()["retry-after"])).toBeGreaterThanOrEqual(1);
  expect(await limited.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringMatching(/Too many/) });
});
