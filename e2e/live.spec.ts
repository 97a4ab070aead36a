import { expect, test } from "@playwright/test";
import { portalUrl, signIn } from "./helpers.ts";

// The approvals queue updates the moment a request is made (Postgres NOTIFY → server-sent
// events), well before its 15 s fallback poll would.

test("a new request appears in an open approvals queue at once", async ({ page, request }) => {
  await signIn(page, "bob@example.com");
  await page.getByRole("link", { name: "Approvals", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Pending requests" })).toBeVisible();
  // Give the page time to load its queue and open the event stream.
  await page.waitForTimeout(1500);

  const alice = (JSON.parse(process.env.TOLLGATE_DEMO_TOKENS!) as Array<{ email: string; token: string }>).find((t) =>
    t.email.startsWith("alice@"),
  )!;
  const created = await request.post(`${portalUrl()}/api/v1/access-requests`, {
    headers: { authorization: `Bearer ${alice.token}` },
    data: { connection: "everything", minutes: 5, reason: "Live update check" },
  });
  expect(created.status()).toBe(201);
  const queued = page.getByRole("article", { name: /Request from alice@example.com/ }).filter({ hasText: "Live update check" });
  await expect(queued).toBeVisible({ timeout: 5000 });

  // Withdrawn by alice: it leaves the queue just as quickly.
  const { id } = (await created.json()) as { id: string };
  await request.post(`${portalUrl()}/api/v1/access-requests/${id}/cancel`, { headers: { authorization: `Bearer ${alice.token}` } });
  await expect(queued).toHaveCount(0, { timeout: 5000 });
});
