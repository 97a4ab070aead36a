import { expect, test } from "@playwright/test";
import { portalUrl, shot, signIn } from "./helpers.ts";

// A person signed in through the IdP makes their own personal API token for a script, uses it
// against the REST API, and revokes it in the portal: the same call is then refused.

test("create a personal API token, use it, revoke it", async ({ page, request }) => {
  await signIn(page, "alice@example.com");
  await page.getByRole("link", { name: "My access", exact: true }).click();

  const card = page.getByRole("region", { name: "Personal API tokens" });
  await expect(card).toBeVisible();
  await expect(card).toContainText("export TOLLGATE_TOKEN=");
  await card.getByLabel("Token name").fill("ci-script");
  await card.getByRole("button", { name: "Create API token" }).click();

  const tokenBox = page.getByTestId("api-token");
  await expect(tokenBox).toHaveText(/^tg_/);
  const token = (await tokenBox.textContent())!.trim();
  await expect(card).toContainText("won't be shown again");

  const row = card.getByRole("row", { name: "ci-script" });
  await expect(row).toContainText(`${token.slice(0, 9)}…`);
  await expect(row).toContainText("ACTIVE");
  await shot(page, "10-alice-api-tokens");

  // The token works against the REST API as alice.
  const me = () => request.get(`${portalUrl()}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  const used = await me();
  expect(used.status()).toBe(200);
  expect(((await used.json()) as { user: { email: string } }).user.email).toBe("alice@example.com");

  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("REVOKED");
  await expect(row.getByRole("button", { name: "Revoke" })).toHaveCount(0);
  await expect(page.getByTestId("api-token")).toHaveCount(0);

  const refused = await me();
  expect(refused.status()).toBe(401);
  expect(await refused.json()).toMatchObject({ error: { code: "UNAUTHENTICATED", message: expect.stringMatching(/revoked/) } });

  // The token was shown once: after a reload only its prefix is left.
  await page.reload();
  await expect(page.getByRole("row", { name: "ci-script" })).toContainText("REVOKED");
  await expect(page.getByText(token)).toHaveCount(0);
});
