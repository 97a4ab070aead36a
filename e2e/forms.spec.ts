import type { Locator, Page, Request } from "@playwright/test";
import { expect, test } from "@playwright/test";
import { shot, signIn } from "./helpers.ts";

// Forms check every field in the browser with the schema the API parses with: all errors show at
// once, each at its field (aria-invalid, aria-describedby), and nothing is sent until they are fixed.

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/** Collects the POSTs to `path` the page sends. */
function recordPosts(page: Page, path: string): Request[] {
  const posts: Request[] = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && new URL(request.url()).pathname === path) posts.push(request);
  });
  return posts;
}

/** The field is marked invalid and described by the error shown under it. */
async function expectFieldError(field: Locator, message: string): Promise<void> {
  await expect(field).toHaveAttribute("aria-invalid", "true");
  const errorId = await field.getAttribute("aria-describedby");
  expect(errorId).toBeTruthy();
  await expect(field.page().locator(`[id="${errorId}"]`)).toHaveText(message);
}

/**
 * Full-page screenshots at desktop and phone widths. On the phone the page's content (forms, error
 * messages) must fit the width: nothing in <main> sticks out sideways (wide tables scroll inside).
 */
async function shots(page: Page, name: string): Promise<void> {
  await page.setViewportSize(DESKTOP);
  await shot(page, `${name}-desktop`);
  await page.setViewportSize(PHONE);
  await shot(page, `${name}-phone`);
  const main = page.locator("main");
  expect(await main.evaluate((element) => element.scrollWidth - element.clientWidth)).toBe(0);
  await page.setViewportSize(DESKTOP);
}

test("the request-access form reports a too-long reason and bad minutes together, before sending anything", async ({ page }) => {
  await page.setViewportSize(DESKTOP);
  await signIn(page, "alice@example.com");
  const posts = recordPosts(page, "/api/v1/access-requests");
  const card = page.getByRole("article", { name: "Everything (demo MCP server)" });
  const minutes = card.getByLabel("Minutes");
  const reason = card.getByLabel("Reason");

  await minutes.fill("0");
  await reason.fill("x".repeat(2001));
  await card.getByRole("button", { name: "Request access" }).click();
  await expectFieldError(minutes, "Must be at least 1");
  await expectFieldError(reason, "Must be at most 2,000 characters");
  await shots(page, "13-forms-request-errors");

  // More minutes than the connection allows, and a reason that is only blanks.
  await minutes.fill("61");
  await reason.fill("   ");
  await card.getByRole("button", { name: "Request access" }).click();
  await expectFieldError(minutes, "Must be at most 60 for Everything (demo MCP server)");
  await expectFieldError(reason, "Must say why you need access (at least 3 characters)");
  expect(posts).toHaveLength(0);

  // Fixing a field clears its error as you type.
  await minutes.fill("10");
  await expect(minutes).not.toHaveAttribute("aria-invalid", "true");
  await expect(reason).toHaveAttribute("aria-invalid", "true");
  expect(posts).toHaveLength(0);
});

test("the new-connection form reports every required field at once; the API's own errors land at their field", async ({ page }) => {
  await page.setViewportSize(DESKTOP);
  await signIn(page, "carol@example.com");
  await page.getByRole("link", { name: "Connections", exact: true }).click();
  const posts = recordPosts(page, "/api/v1/connections");
  const form = page.locator("form").filter({ has: page.getByRole("button", { name: "Add connection" }) });
  const add = form.getByRole("button", { name: "Add connection" });

  await add.click();
  await expectFieldError(form.getByLabel("Slug"), "Must be lowercase letters, digits and dashes (e.g. github-prod)");
  await expectFieldError(form.getByLabel("Name", { exact: true }), "Is required");
  await expectFieldError(form.getByLabel("URL"), "Must be an http(s) URL of the upstream MCP endpoint");
  await expect(form.getByLabel("Description")).not.toHaveAttribute("aria-invalid", "true");
  await shots(page, "14-forms-connection-errors");

  // stdio needs a command instead; a credential needs its name as well as its value.
  await form.getByLabel("Transport").selectOption({ label: "stdio" });
  await form.getByLabel("Max minutes").fill("");
  await form.getByLabel("Credential value").fill("s3cret");
  await add.click();
  await expectFieldError(form.getByLabel("Command"), "Is required for stdio connections");
  await expectFieldError(form.getByLabel("Max minutes"), "Must be a number of minutes");
  await expectFieldError(form.getByLabel("Credential header"), "Name the environment variable for this credential.");
  await expectFieldError(form.getByLabel("Slug"), "Must be lowercase letters, digits and dashes (e.g. github-prod)");
  expect(posts).toHaveLength(0);

  // A valid form is sent; the server's 409 for a slug in use shows at the slug.
  await form.getByLabel("Transport").selectOption({ label: "Streamable HTTP" });
  await form.getByLabel("Slug").fill("everything");
  await form.getByLabel("Name", { exact: true }).fill("Another everything");
  await form.getByLabel("URL").fill("https://mcp.example.com/mcp");
  await form.getByLabel("Max minutes").fill("30");
  await form.getByLabel("Credential value").fill("");
  await add.click();
  await expectFieldError(form.getByLabel("Slug"), 'A connection with slug "everything" already exists.');
  expect(posts).toHaveLength(1);
  await expect(form.getByLabel("URL")).not.toHaveAttribute("aria-invalid", "true");
});
