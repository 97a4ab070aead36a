import type { Page } from "@playwright/test";
import { expect } from "@playwright/test";

export const portalUrl = () => process.env.TOLLGATE_PORTAL_URL!;
export const gatewayUrl = () => process.env.TOLLGATE_GATEWAY_URL!;
export const SCREENSHOTS = "test-results/screenshots";

/** Signs in through the real dev IdP: the portal's button, the IdP's login form, back to the portal. */
export async function signIn(page: Page, email: string, options: { screenshots?: boolean } = {}): Promise<void> {
  await page.goto(portalUrl());
  await expect(page.getByRole("heading", { name: "Sign in to Tollgate" })).toBeVisible();
  if (options.screenshots) await shot(page, "00a-portal-sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Development only")).toBeVisible();
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill("tollgate-dev");
  if (options.screenshots) await shot(page, "00b-dev-idp-login");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("user-email")).toHaveText(email);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}
