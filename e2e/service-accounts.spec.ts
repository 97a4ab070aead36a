import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "@playwright/test";
import { apiAs, DESKTOP, gatewayUrl, noHorizontalScroll, PHONE, portalUrl, shot, signIn } from "./helpers";

// The dev IdP's ci-bot, end to end on the real stack: a client-credentials JWT from the IdP that
// `npm start` runs is accepted by the portal's API (it requests access with it) and by the gateway
// (bob approves, its SDK client calls echo); a tampered JWT gets a 401 naming why; carol sees the
// service account, its roles and last use under Service accounts, linked from Audit (desktop and phone).

interface ServiceAccount {
  clientId: string;
  clientSecret: string;
  tokenEndpoint: string;
  audience: string;
}

function serviceAccount(): ServiceAccount {
  const account = JSON.parse(process.env.TOLLGATE_SERVICE_ACCOUNT ?? "null") as ServiceAccount | null;
  if (!account) throw new Error("the stack has no dev service account");
  return account;
}

async function clientCredentialsToken(): Promise<string> {
  const account = serviceAccount();
  const response = await fetch(account.tokenEndpoint, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

test("ci-bot requests access with its IdP JWT, calls echo through the gateway with it, and carol sees it listed", async ({
  page,
  request,
}) => {
  const jwt = await clientCredentialsToken();
  const headers = { authorization: `Bearer ${jwt}` };

  const me = await request.get(`${portalUrl()}/api/v1/me`, { headers });
  expect(me.status()).toBe(200);
  expect(((await me.json()) as { user: unknown }).user).toMatchObject({
    email: "ci-bot@127.0.0.1.service.invalid",
    name: "CI bot",
    roles: ["REQUESTER"],
  });

  // A tampered token: 401 with the reason, and the RFC 6750 header.
  const [header, payload, signature] = jwt.split(".");
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), sub: "carol" })).toString(
    "base64url",
  );
  const refused = await request.get(`${portalUrl()}/api/v1/me`, { headers: { authorization: `Bearer ${header}.${forged}.${signature}` } });
  expect(refused.status()).toBe(401);
  expect(((await refused.json()) as { error: unknown }).error).toMatchObject({ code: "UNAUTHENTICATED", reason: "bad_signature" });
  expect(refused.headers()["www-authenticate"]).toContain('error="invalid_token"');

  const created = await request.post(`${portalUrl()}/api/v1/access-requests`, {
    headers,
    data: { connection: "everything", minutes: 15, reason: "service account e2e" },
  });
  expect(created.status()).toBe(201);
  const requestId = ((await created.json()) as { id: string }).id;
  // Its own request: it has no right to decide at all.
  expect((await request.post(`${portalUrl()}/api/v1/access-requests/${requestId}/approve`, { headers, data: {} })).status()).toBe(403);
  const approved = await apiAs(request, "bob").post(`/access-requests/${requestId}/approve`);
  expect(approved.status()).toBe(200);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;

  try {
    const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), { requestInit: { headers } });
    const client = new Client({ name: "ci-bot", version: "1.0.0" });
    await client.connect(transport);
    const echo = await client.callTool({ name: "echo", arguments: { message: "hello from CI" } });
    expect(JSON.stringify(echo)).toContain("hello from CI");
    await transport.terminateSession();
    await client.close();

    const sessions = await apiAs(request, "carol").get("/sessions");
    const list = ((await sessions.json()) as { sessions: Array<{ user: { email: string } }> }).sessions;
    expect(list.some((session) => session.user.email === "ci-bot@127.0.0.1.service.invalid")).toBe(true);

    const listed = await apiAs(request, "carol").get("/service-accounts");
    expect(listed.status()).toBe(200);
    expect(await listed.json()).toEqual([
      expect.objectContaining({ subject: "ci-bot", name: "CI bot", groups: ["engineering"], roles: ["REQUESTER"], activeGrants: 1 }),
    ]);
    expect((await apiAs(request, "alice").get("/service-accounts")).status()).toBe(403);

    await page.setViewportSize(DESKTOP);
    await signIn(page, "carol@example.com");
    await page.getByRole("link", { name: "Audit", exact: true }).click();
    await page.getByRole("link", { name: "Service accounts" }).click();
    await expect(page.getByRole("heading", { name: "Service accounts" })).toBeVisible();
    const row = page.getByRole("row", { name: "CI bot" });
    await expect(row).toContainText("ci-bot@127.0.0.1.service.invalid");
    await expect(row).toContainText("engineering");
    await expect(row).toContainText("UTC");
    await shot(page, "30-carol-service-accounts");
    await page.setViewportSize(PHONE);
    await noHorizontalScroll(page);
    await shot(page, "31-carol-service-accounts-phone");
  } finally {
    expect((await apiAs(request, "carol").post(`/grants/${grantId}/revoke`)).status()).toBe(200);
  }
});
