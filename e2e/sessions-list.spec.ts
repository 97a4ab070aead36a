import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type APIRequestContext, expect, test } from "@playwright/test";
import pg from "pg";
import { apiAs, DESKTOP, gatewayUrl, noHorizontalScroll, PHONE, portalUrl, shot, signIn } from "./helpers.ts";

// The sessions list: filters and payload search in the URL, paging, live status, phone cards.

const NEEDLE = `needle-${Date.now().toString(36)}`;

interface SessionPage {
  sessions: Array<{ id: string; user: { email: string }; endedAt: string | null; matches?: number }>;
  nextCursor: string | null;
}

async function grantFor(request: APIRequestContext): Promise<{ grantId: string; token: string }> {
  const created = await apiAs(request, "alice").post("/access-requests", {
    connection: "everything",
    minutes: 15,
    reason: "sessions list e2e",
  });
  expect(created.status()).toBe(201);
  const approved = await apiAs(request, "bob").post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
  const minted = await apiAs(request, "alice").post(`/grants/${grantId}/tokens`);
  return { grantId, token: ((await minted.json()) as { token: string }).token };
}

async function connect(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "sessions-list-e2e", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport };
}

async function end(session: { client: Client; transport: StreamableHTTPClientTransport }): Promise<void> {
  await session.transport.terminateSession();
  await session.client.close();
}

test("filter, search and page sessions; the URL keeps the filters; phone cards; live status", async ({ page, request }) => {
  const { grantId, token } = await grantFor(request);
  try {
    // A session whose echo carries the needle.
    const first = await connect(token);
    await first.client.callTool({ name: "echo", arguments: { message: `find me: ${NEEDLE}` } });
    const sessionId = first.transport.sessionId!;
    await end(first);
    await expect
      .poll(
        async () => ((await (await apiAs(request, "alice").get(`/sessions/${sessionId}`)).json()) as { endedAt: string | null }).endedAt,
      )
      .not.toBeNull();

    // The API: search, filters, visibility and paging.
    const bob = apiAs(request, "bob");
    // Search reads a copy of the recorded text written just after each commit (within about 50 ms).
    const search = async () => (await (await bob.get(`/sessions?q=${NEEDLE.toUpperCase()}&tool=echo&status=ended`)).json()) as SessionPage;
    await expect
      .poll(async () => (await search()).sessions.map((s) => [s.id, s.user.email, s.matches]))
      .toEqual([[sessionId, "alice@example.com", 2]]);
    const found = await search();
    expect(found.nextCursor).toBeNull();
    expect(((await (await apiAs(request, "alice").get(`/sessions?q=${NEEDLE}`)).json()) as SessionPage).sessions).toHaveLength(1);
    expect(((await (await bob.get(`/sessions?q=${NEEDLE}&status=live`)).json()) as SessionPage).sessions).toEqual([]);
    const short = await bob.get("/sessions?q=ab");
    expect(short.status()).toBe(400);
    expect(await short.json()).toMatchObject({ error: { field: "q" } });
    expect((await bob.get("/sessions?cursor=nonsense")).status()).toBe(400);
    const one = (await (await bob.get("/sessions?limit=1")).json()) as SessionPage;
    expect(one.sessions).toHaveLength(1);
    if (one.nextCursor) {
      const next = (await (await bob.get(`/sessions?limit=1&cursor=${encodeURIComponent(one.nextCursor)}`)).json()) as SessionPage;
      expect(next.sessions[0]?.id).not.toBe(one.sessions[0]!.id);
    }

    // The portal, on a desktop: search, then filter; the URL says what is shown.
    await page.setViewportSize(DESKTOP);
    await signIn(page, "bob@example.com");
    await page.getByRole("link", { name: "Sessions", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Sessions" })).toBeVisible();
    // What the walking skeleton looks for on this page.
    await expect(page.getByRole("cell").filter({ hasText: "everything" }).first()).toBeVisible();
    await page.getByLabel("Search recorded messages").fill(NEEDLE);
    await expect(page).toHaveURL(new RegExp(`[?&]q=${NEEDLE}`));
    const row = page.locator(`tr[data-session-id="${sessionId}"]`);
    await expect(row).toBeVisible();
    await expect(row).toContainText("alice@example.com");
    await expect(row).toContainText("2 matches");
    await expect(page.locator("tbody tr")).toHaveCount(1);
    await page.getByLabel("Status", { exact: true }).selectOption("ended");
    await page.getByLabel("Tool", { exact: true }).fill("echo");
    await expect(page).toHaveURL(/status=ended/);
    await expect(page).toHaveURL(/tool=echo/);
    await expect(row).toBeVisible();
    await expect(page.getByRole("list", { name: "Filters in force" })).toContainText(`Text: “${NEEDLE}”`);
    await shot(page, "40-bob-sessions-filtered");

    // A filter that hides every row says so, and names the filters.
    await page.getByLabel("Status", { exact: true }).selectOption("live");
    await expect(page).toHaveURL(/status=live/);
    await expect(page.getByTestId("sessions-empty")).toContainText("No sessions match");
    await expect(page.getByTestId("sessions-empty")).toContainText("status live");
    await shot(page, "41-bob-sessions-empty");
    // The back button undoes it.
    await page.goBack();
    await expect(page).toHaveURL(/status=ended/);
    await expect(row).toBeVisible();

    // A shared link opens with the same filters, on a phone as cards, with nothing wider than the screen.
    const shared = page.url();
    await page.setViewportSize(PHONE);
    await page.goto(shared);
    const card = page.locator(`li[data-session-id="${sessionId}"]`);
    await expect(card).toBeVisible();
    await expect(card).toContainText("alice@example.com");
    await expect(page.locator("table")).toBeHidden();
    await expect(page.getByLabel("Tool", { exact: true })).toBeHidden();
    await noHorizontalScroll(page);
    await shot(page, "42-bob-sessions-phone");
    await page.getByRole("button", { name: "Filters (2)" }).click();
    await expect(page.getByLabel("Tool", { exact: true })).toHaveValue("echo");
    await noHorizontalScroll(page);
    await shot(page, "43-bob-sessions-phone-filters");

    // Live: a session that starts shows up as live without a reload, and as ended once it ends.
    await page.setViewportSize(DESKTOP);
    await page.goto(`${portalUrl()}/sessions?user=alice%40example.com`);
    await expect(page.locator(`tr[data-session-id="${sessionId}"]`)).toBeVisible();
    await page.waitForTimeout(1_000); // the event stream opens
    const second = await connect(token);
    const liveId = second.transport.sessionId!;
    const liveRow = page.locator(`tr[data-session-id="${liveId}"]`);
    await expect(liveRow).toContainText("live", { timeout: 5_000 });
    await end(second);
    await expect(liveRow).not.toContainText("live", { timeout: 5_000 });
  } finally {
    // Later specs expect alice to hold no other grant on `everything`.
    expect((await apiAs(request, "alice").post(`/grants/${grantId}/revoke`, { reason: "sessions list e2e done" })).status()).toBe(200);
  }
});

test("Load more pages through older sessions; the time range filters them", async ({ page }) => {
  // 60 old sessions of carol's, straight into the database (removed again at the end).
  const db = new pg.Client({ connectionString: process.env.TOLLGATE_DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      `INSERT INTO "Session" (id, "grantId", "userId", "connectionId", transport, "startedAt", "endedAt", "endReason")
       SELECT 'e2e-page-' || i, (SELECT id FROM "Grant" ORDER BY "createdAt" LIMIT 1),
         (SELECT id FROM "User" WHERE email = 'carol@example.com'), (SELECT id FROM "Connection" WHERE slug = 'everything'),
         'streamable-http', timestamp '2020-01-01' + i * interval '1 minute', timestamp '2020-01-01' + i * interval '1 minute' + interval '30 seconds', 'seeded'
       FROM generate_series(1, 60) AS i`,
    );
    await page.setViewportSize(DESKTOP);
    await signIn(page, "carol@example.com");
    await page.goto(`${portalUrl()}/sessions?user=carol%40example.com`);
    await page.getByLabel("Started before", { exact: true }).fill("2021-01-01T00:00");
    await expect(page).toHaveURL(/to=2021-01-01T00%3A00%3A00\.000Z/);
    const rows = page.locator('tr[data-session-id^="e2e-page-"]');
    await expect(rows).toHaveCount(50);
    await expect(page.getByTestId("sessions-count")).toHaveText("50+ sessions");
    await expect(rows.first()).toHaveAttribute("data-session-id", "e2e-page-60");
    await page.getByRole("button", { name: "Load more" }).click();
    await expect(rows).toHaveCount(60);
    await expect(rows.last()).toHaveAttribute("data-session-id", "e2e-page-1");
    await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
    await expect(page.getByTestId("sessions-count")).toHaveText("60 sessions");
    await shot(page, "44-carol-sessions-load-more");
    // The other end of the range: nothing of carol's started before 2020.
    await page.getByLabel("Started before", { exact: true }).fill("2019-12-31T00:00");
    await expect(page.getByTestId("sessions-empty")).toContainText("started before");
  } finally {
    await db.query(`DELETE FROM "Session" WHERE id LIKE 'e2e-page-%'`);
    await db.end();
  }
});
