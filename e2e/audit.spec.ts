import { expect, test } from "@playwright/test";
import { portalUrl, shot, signIn } from "./helpers.ts";

// The audit log: auditors and admins read the hash-chained events, filter them and verify the chain.
// Only the seed's events are certain to exist (earlier specs add more, but this one does not rely on them).

const tokens = () => JSON.parse(process.env.TOLLGATE_DEMO_TOKENS!) as Array<{ email: string; token: string }>;
const bearer = (name: string) => ({ authorization: `Bearer ${tokens().find((t) => t.email.startsWith(`${name}@`))!.token}` });

test("carol reads, filters and verifies the audit log", async ({ page }) => {
  await signIn(page, "carol@example.com");
  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();

  const rows = page.getByTestId("audit-event");
  await expect(rows.first()).toBeVisible();

  // Events are listed newest first.
  const shown = await rows.evaluateAll((elements) => elements.map((element) => BigInt(element.getAttribute("data-id")!)));
  expect(shown.length).toBeGreaterThan(1);
  for (let i = 1; i < shown.length; i += 1) expect(shown[i]! < shown[i - 1]!).toBe(true);

  await page.getByRole("button", { name: "Verify chain" }).click();
  await expect(page.getByTestId("audit-verify-result")).toHaveText(/^Chain intact: \d+ events verified$/);
  await shot(page, "11-carol-audit");

  // An action prefix keeps only that family of events.
  await page.getByLabel("Action").fill("connection.");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(rows.filter({ hasNotText: "connection." })).toHaveCount(0);
  await expect(rows.filter({ hasText: "connection.created" }).first()).toBeVisible();
  const seeded = rows.filter({ hasText: '"seeded":true' });
  await expect(seeded).toHaveCount(1);
  await expect(seeded).toContainText("system");

  // The details expand to the whole JSON.
  await seeded.locator("summary").click();
  await expect(seeded.locator("pre")).toContainText('"transport": "stdio"');

  await page.getByLabel("Action").fill("role_mappings.");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("role_mappings.configured");

  // A filter that matches nothing says so; Clear brings everything back.
  await page.getByLabel("Actor email").fill("nobody@example.com");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No audit events match these filters.")).toBeVisible();
  await page.getByRole("button", { name: "Clear" }).click();
  await expect(page.getByLabel("Action")).toHaveValue("");
  await expect(rows).toHaveCount(shown.length);
});

test("alice has no audit log", async ({ page }) => {
  await signIn(page, "alice@example.com");
  await expect(page.getByRole("link", { name: "Sessions", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Audit", exact: true })).toHaveCount(0);
  await page.goto(`${portalUrl()}/audit`);
  await expect(page.getByRole("heading", { name: "You need the auditor role to see this page" })).toBeVisible();
  await expect(page.getByTestId("audit-event")).toHaveCount(0);
});

test("API: the audit log for auditors, 403 for others, 400 names the field", async ({ request }) => {
  const get = (path: string, name: string) => request.get(`${portalUrl()}/api/v1${path}`, { headers: bearer(name) });

  const forbidden = await get("/audit-events", "alice");
  expect(forbidden.status()).toBe(403);
  expect(await forbidden.json()).toMatchObject({ error: { code: "FORBIDDEN" } });
  expect((await get("/audit-events/verify", "alice")).status()).toBe(403);

  const first = await get("/audit-events?limit=1", "carol");
  expect(first.status()).toBe(200);
  const page1 = (await first.json()) as { events: Array<{ id: string; action: string }>; nextCursor: string | null };
  expect(page1.events).toHaveLength(1);
  expect(page1.nextCursor).toBe(page1.events[0]!.id);
  const page2 = (await (await get(`/audit-events?limit=1&before=${page1.nextCursor}`, "carol")).json()) as typeof page1;
  expect(BigInt(page2.events[0]!.id)).toBeLessThan(BigInt(page1.events[0]!.id));

  const seeded = (await (await get("/audit-events?action=role_mappings.&actor=", "carol")).json()) as typeof page1;
  expect(seeded.events.map((e) => e.action)).toEqual(["role_mappings.configured"]);

  for (const [query, field] of [
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=ten", "limit"],
    ["before=abc", "before"],
  ] as const) {
    const bad = await get(`/audit-events?${query}`, "carol");
    expect(bad.status(), query).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "BAD_REQUEST", field } });
  }

  const verified = await get("/audit-events/verify", "carol");
  expect(await verified.json()).toMatchObject({ ok: true, events: expect.any(Number) });

  const openapi = (await (await request.get(`${portalUrl()}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
  expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(["/api/v1/audit-events", "/api/v1/audit-events/verify"]));
});
