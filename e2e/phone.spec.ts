import { type APIRequestContext, expect, type Page, request as playwrightRequest, test } from "@playwright/test";
import { apiAs, DESKTOP, noHorizontalScroll, PHONE, portalUrl, SCREENSHOTS, shot, signIn } from "./helpers.ts";

// Every portal page (but the sessions pages, which have their own spec) on a 390 px phone, as each
// demo role that sees it, with real content: no sideways scrolling, tables shown as cards, the
// nav behind a Menu button, times in the viewer's zone (Berlin here) with the zone named. One page
// also at 320 px, and two at desktop width to see that the wide layout still holds.
// The grants, request and tokens made here are revoked or cancelled at the end (specs share one DB).

test.use({ timezoneId: "Europe/Berlin", viewport: PHONE });
test.describe.configure({ mode: "serial" });

const REASON = "Phone layout check: INC-4711 the deploy pipeline fails on the last step";
const SMALL_PHONE = { width: 320, height: 640 };

interface Made {
  grants: string[];
  pendingRequest: string | null;
  apiToken: string | null;
}
const made: Made = { grants: [], pendingRequest: null, apiToken: null };

async function api(): Promise<APIRequestContext> {
  return playwrightRequest.newContext();
}

/** A request by `who` on everything, approved by bob: the grant's id. */
async function grantFor(request: APIRequestContext, who: string, minutes: number, reason: string): Promise<string> {
  const created = await apiAs(request, who).post("/access-requests", { connection: "everything", minutes, reason });
  expect(created.status()).toBe(201);
  const approved = await apiAs(request, "bob").post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`, {
    comment: "ok for the phone check",
  });
  expect(approved.status()).toBe(200);
  return ((await approved.json()) as { grant: { id: string } }).grant.id;
}

/** Visits `path` as the signed-in user, waits for `ready`, checks the width and saves `name`.png. */
async function check(page: Page, path: string, ready: (page: Page) => Promise<void>, name: string): Promise<void> {
  await page.goto(`${portalUrl()}${path}`);
  await ready(page);
  await noHorizontalScroll(page);
  await shot(page, name);
}

test.beforeAll(async () => {
  const request = await api();
  // alice: a grant she gave up (past), one active with a gateway token, one request still pending.
  const past = await grantFor(request, "alice", 5, "An earlier look at the demo server");
  made.grants.push(past);
  expect((await apiAs(request, "alice").post(`/grants/${past}/revoke`)).status()).toBe(200);
  const active = await grantFor(request, "alice", 30, REASON);
  made.grants.push(active);
  expect((await apiAs(request, "alice").post(`/grants/${active}/tokens`)).status()).toBe(201);
  const pending = await apiAs(request, "alice").post("/access-requests", {
    connection: "everything",
    minutes: 10,
    reason: "Still waiting",
  });
  expect(pending.status()).toBe(201);
  made.pendingRequest = ((await pending.json()) as { id: string }).id;
  const token = await apiAs(request, "alice").post("/api-tokens", { name: "phone-layout-script", expiresInDays: 7 });
  expect(token.status()).toBe(201);
  made.apiToken = ((await token.json()) as { id: string }).id;
  // A global policy with a guardrail and a mask rule (two versions, so there is a diff to show).
  const rules = [
    {
      id: "phone-deny",
      kind: "guardrail",
      description: "No phone-layout tools",
      match: { method: "tools/call", name: "phone-layout-*" },
      action: "deny",
    },
  ];
  expect((await apiAs(request, "carol").put("/policy", { default: "allow", rules })).status()).toBe(200);
  const second = [...rules, { id: "phone-mask", kind: "mask", keys: ["phone_layout_secret"], style: "redact" }];
  expect((await apiAs(request, "carol").put("/policy", { default: "allow", rules: second })).status()).toBe(200);
  await request.dispose();
});

test.afterAll(async () => {
  const request = await api();
  expect((await apiAs(request, "carol").put("/policy", { default: "allow", rules: [] })).status()).toBe(200);
  for (const grant of made.grants) {
    const revoked = await apiAs(request, "carol").post(`/grants/${grant}/revoke`);
    expect([200, 409]).toContain(revoked.status());
  }
  if (made.pendingRequest) await apiAs(request, "alice").post(`/access-requests/${made.pendingRequest}/cancel`);
  if (made.apiToken) await apiAs(request, "alice").post(`/api-tokens/${made.apiToken}/revoke`);
  await request.dispose();
});

test("the sign-in card fits a phone, at 390 and at 320 px", async ({ page }) => {
  await page.goto(portalUrl());
  await expect(page.getByRole("heading", { name: "Sign in to Tollgate" })).toBeVisible();
  await noHorizontalScroll(page);
  await shot(page, "70-phone-sign-in");
  await page.setViewportSize(SMALL_PHONE);
  await noHorizontalScroll(page);
  await shot(page, "70-phone-sign-in-320");
});

test("alice on a phone: catalog, My access (grants, requests, tokens as cards), the menu", async ({ page }) => {
  await signIn(page, "alice@example.com");

  await check(
    page,
    "/",
    async (p) => {
      await expect(p.getByRole("article", { name: "Everything (demo MCP server)" }).getByLabel("Reason")).toBeVisible();
    },
    "71-phone-alice-catalog",
  );

  // The nav sits behind a Menu button; it opens a list of links and closes on a choice.
  const menu = page.getByRole("button", { name: "Menu" });
  await expect(page.getByRole("link", { name: "My access", exact: true })).toHaveCount(0);
  await menu.click();
  await expect(menu).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
  await noHorizontalScroll(page);
  await page.screenshot({ path: `${SCREENSHOTS}/71-phone-alice-menu.png` });
  await page.getByRole("link", { name: "My access", exact: true }).click();
  await expect(page.getByRole("heading", { name: "My access" })).toBeVisible();
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  // A tap outside the open menu closes it too.
  await menu.click();
  await expect(page.getByRole("link", { name: "Catalog", exact: true })).toBeVisible();
  await page.mouse.click(200, 800);
  await expect(menu).toHaveAttribute("aria-expanded", "false");
  await expect(page.getByRole("link", { name: "Catalog", exact: true })).toHaveCount(0);

  await check(
    page,
    "/access",
    async (p) => {
      await expect(p.getByRole("article", { name: "Everything (demo MCP server)" }).getByTestId("gateway-token-row")).toHaveCount(1);
      await expect(p.getByRole("row").filter({ hasText: REASON })).toContainText("APPROVED");
      await expect(p.getByRole("row", { name: "phone-layout-script" })).toContainText("ACTIVE");
      await p.getByText(/^Past grants/).click();
      await expect(p.getByRole("row").filter({ hasText: "REVOKED" }).first()).toBeVisible();
      // Times are in the viewer's zone, named, with the exact UTC instant on hover.
      await expect(p.getByTestId("time-zone-note").first()).toHaveText("Times in Europe/Berlin");
      const created = p.getByRole("row", { name: "phone-layout-script" }).locator("time").first();
      await expect(created).toHaveAttribute("title", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC · shown in Europe\/Berlin$/);
    },
    "72-phone-alice-my-access",
  );

  // A table became cards: its header row is gone, each cell is labelled by its column.
  const row = page.getByRole("row", { name: "phone-layout-script" });
  await expect(page.getByRole("region", { name: "Personal API tokens" }).locator("thead")).toBeHidden();
  const label = await row
    .locator("td")
    .first()
    .evaluate((cell) => getComputedStyle(cell, "::before").content);
  expect(label).toBe('"Name"');

  // The narrowest phones still fit.
  await page.setViewportSize(SMALL_PHONE);
  await noHorizontalScroll(page);
  await shot(page, "73-phone-alice-my-access-320");
  await page.setViewportSize(DESKTOP);
  await expect(page.getByRole("region", { name: "Personal API tokens" }).locator("thead")).toBeVisible();
  // On a wide screen the cells carry no labels: it is a table again.
  expect(
    await row
      .locator("td")
      .first()
      .evaluate((cell) => getComputedStyle(cell, "::before").content),
  ).toBe("none");
  await noHorizontalScroll(page);
  await shot(page, "74-desktop-alice-my-access");
});

test("bob on a phone: approvals with a pending request and active grants", async ({ page }) => {
  await signIn(page, "bob@example.com");
  await check(
    page,
    "/approvals",
    async (p) => {
      // This spec's own pending request (another spec may have left one of alice's pending too).
      await expect(p.getByRole("article", { name: /Request from alice@example.com/ }).filter({ hasText: "Still waiting" })).toBeVisible();
      await expect(p.getByRole("row").filter({ hasText: "alice@example.com" }).first()).toBeVisible();
    },
    "75-phone-bob-approvals",
  );
  await page.setViewportSize(SMALL_PHONE);
  await noHorizontalScroll(page);
  await shot(page, "75-phone-bob-approvals-320");
  await page.setViewportSize(PHONE);
  await check(
    page,
    "/",
    async (p) => {
      await expect(p.getByRole("article", { name: "Everything (demo MCP server)" })).toBeVisible();
    },
    "76-phone-bob-catalog",
  );
});

test("carol on a phone: connections, policies, the rule form, versions, audit log, service accounts", async ({ page }) => {
  // A service account that has called once, so its list is not empty.
  const account = JSON.parse(process.env.TOLLGATE_SERVICE_ACCOUNT ?? "null") as {
    clientId: string;
    clientSecret: string;
    tokenEndpoint: string;
  } | null;
  if (account) {
    const response = await fetch(account.tokenEndpoint, {
      method: "POST",
      headers: {
        authorization: `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    const jwt = ((await response.json()) as { access_token: string }).access_token;
    const me = await fetch(`${portalUrl()}/api/v1/me`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(me.status).toBe(200);
  }

  await signIn(page, "carol@example.com");

  await check(
    page,
    "/admin/connections",
    async (p) => {
      await expect(p.getByRole("row").filter({ hasText: "everything" }).first()).toBeVisible();
    },
    "77-phone-carol-connections",
  );
  await page.getByRole("button", { name: "Edit Everything (demo MCP server)" }).click();
  await expect(page.getByRole("form", { name: "Edit Everything (demo MCP server)" })).toBeVisible();
  await noHorizontalScroll(page);
  await shot(page, "78-phone-carol-connection-edit");

  await check(
    page,
    "/admin/policies",
    async (p) => {
      await expect(p.getByTestId("policy-rule")).toHaveCount(2);
      await expect(p.getByTestId("policy-version")).not.toHaveCount(0);
    },
    "79-phone-carol-global-policy",
  );
  // An older version against the draft: the diff fits.
  await page.getByTestId("policy-version").last().click();
  await noHorizontalScroll(page);
  await shot(page, "80-phone-carol-policy-diff");

  await check(
    page,
    "/admin/policies/everything",
    async (p) => {
      await expect(p.getByRole("heading", { name: "Policy: Everything (demo MCP server)" })).toBeVisible();
      await p.getByRole("button", { name: "Add guardrail rule" }).click();
      const form = p.getByRole("form", { name: "New guardrail rule" });
      await form.getByRole("button", { name: "Add argument matcher" }).click();
      await expect(form.getByLabel("Argument 1 JSON path")).toBeVisible();
    },
    "81-phone-carol-rule-form",
  );

  await check(
    page,
    "/audit",
    async (p) => {
      await expect(p.getByTestId("audit-event").first()).toBeVisible();
      await expect(p.getByTestId("time-zone-note")).toHaveText("Times in Europe/Berlin");
    },
    "82-phone-carol-audit",
  );
  // Details open inside their card, not past the screen's edge.
  await page.getByTestId("audit-event").filter({ hasText: "grant" }).first().locator("summary").click();
  await noHorizontalScroll(page);
  await shot(page, "83-phone-carol-audit-details");
  await page.setViewportSize(DESKTOP);
  await noHorizontalScroll(page);
  await shot(page, "84-desktop-carol-audit");
  await page.setViewportSize(PHONE);

  await check(
    page,
    "/admin/service-accounts",
    async (p) => {
      if (account) await expect(p.getByRole("row", { name: "CI bot" })).toBeVisible();
      else await expect(p.getByRole("heading", { name: "Service accounts" })).toBeVisible();
    },
    "85-phone-carol-service-accounts",
  );

  await check(
    page,
    "/access",
    async (p) => {
      await expect(p.getByRole("heading", { name: "My access" })).toBeVisible();
    },
    "86-phone-carol-my-access",
  );
});
