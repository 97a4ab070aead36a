import { type APIRequestContext, expect, type Page } from "@playwright/test";

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

/** A full-page screenshot, taken from the top (sticky bars stay in place). */
export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SCREENSHOTS}/${name}.png`, fullPage: true });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** The page does not scroll sideways; the message names the elements that stick out. */
export async function noHorizontalScroll(page: Page): Promise<void> {
  const { overflow, offenders } = await page.evaluate(() => {
    const width = window.innerWidth;
    const offenders = [...document.body.querySelectorAll<HTMLElement>("*")]
      .filter((element) => element.getBoundingClientRect().right > width + 1)
      .slice(0, 8)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}`.slice(0, 120));
    return { overflow: document.documentElement.scrollWidth - width, offenders };
  });
  expect(overflow, `the page scrolls sideways; too wide: ${offenders.join(" | ")}`).toBeLessThanOrEqual(0);
}

/** The demo users' personal API tokens, printed by the stack (alice, bob, carol). */
export function demoToken(name: string): string {
  const tokens = JSON.parse(process.env.TOLLGATE_DEMO_TOKENS ?? "[]") as Array<{ email: string; token: string }>;
  const found = tokens.find((t) => t.email.startsWith(`${name}@`));
  if (!found) throw new Error(`no demo API token for ${name}`);
  return found.token;
}

/** The REST API as one of the demo users, with their personal API token. */
export function apiAs(request: APIRequestContext, name: string) {
  const headers = { authorization: `Bearer ${demoToken(name)}` };
  return {
    get: (path: string) => request.get(`${portalUrl()}/api/v1${path}`, { headers }),
    post: (path: string, data?: unknown) => request.post(`${portalUrl()}/api/v1${path}`, { headers, data: data ?? {} }),
    put: (path: string, data: unknown) => request.put(`${portalUrl()}/api/v1${path}`, { headers, data }),
    raw: (method: string, path: string, body: string, extra: Record<string, string>) =>
      // A Buffer is sent as is (a string with a JSON content type would be JSON-encoded again).
      request.fetch(`${portalUrl()}/api/v1${path}`, { method, headers: { ...headers, ...extra }, data: Buffer.from(body) }),
  };
}
