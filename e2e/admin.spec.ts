import { expect, test } from "@playwright/test";
import { shot, signIn } from "./helpers.ts";

// Step 6: an admin registers a connection in the portal; the credential is write-only.

test("carol adds a Streamable HTTP connection with a write-only credential", async ({ page }) => {
  await signIn(page, "carol@example.com");
  await page.getByRole("link", { name: "Connections", exact: true }).click();
  await page.getByLabel("Slug").fill("github-prod");
  await page.getByLabel("Name", { exact: true }).fill("GitHub (production)");
  await page.getByLabel("Description").fill("GitHub MCP server for the production org");
  await page.getByLabel("Transport").selectOption({ label: "Streamable HTTP" });
  await page.getByLabel("URL").fill("https://mcp.github.example/mcp");
  await page.getByLabel("Credential header").fill("Authorization");
  await page.getByLabel("Credential value").fill("Bearer ghp_super_secret_value");
  await page.getByLabel("Max minutes").fill("30");
  await page.getByRole("button", { name: "Add connection" }).click();
  await expect(page.getByText("Connection github-prod added.")).toBeVisible();
  await expect(page.getByText("credential set").first()).toBeVisible();
  await expect(page.locator("body")).not.toContainText("ghp_super_secret_value");
  await shot(page, "08-carol-connections");

  // It shows up in the catalog for requesters right away.
  await page.getByRole("link", { name: "Catalog", exact: true }).click();
  await expect(page.getByRole("article", { name: "GitHub (production)" })).toBeVisible();
});

test("carol edits github-prod: a new maximum and a rotated credential that is never shown", async ({ page }) => {
  await signIn(page, "carol@example.com");
  await page.getByRole("link", { name: "Connections", exact: true }).click();
  const row = page.getByRole("row").filter({ hasText: "github-prod" });
  await row.getByRole("button", { name: "Edit" }).click();
  const form = page.getByRole("form", { name: "Edit GitHub (production)" });
  await expect(form.getByLabel("URL")).toHaveValue("https://mcp.github.example/mcp");
  await expect(form.getByLabel("Max minutes")).toHaveValue("30");
  await expect(form.getByLabel("Credential value")).toHaveValue("");

  // Field errors show at the field (checked in the browser with the API's schema before sending).
  await form.getByLabel("Max minutes").fill("0");
  await form.getByRole("button", { name: "Save changes" }).click();
  await expect(form.getByText("Must be at least 1")).toBeVisible();
  await expect(form.getByLabel("Max minutes")).toHaveAttribute("aria-invalid", "true");

  await form.getByLabel("Max minutes").fill("45");
  await form.getByLabel("Credential header").fill("Authorization");
  await form.getByLabel("Credential value").fill("Bearer ghp_rotated_secret_value");
  await expect(form.getByLabel("Remove credential")).not.toBeChecked();
  await form.getByRole("button", { name: "Save changes" }).click();

  await expect(page.getByText("Connection github-prod updated.")).toBeVisible();
  await expect(form).toHaveCount(0);
  await expect(row).toContainText("45 min");
  await expect(row).toContainText("credential set");
  await expect(page.locator("body")).not.toContainText("ghp_rotated_secret_value");
  expect(await page.content()).not.toContain("ghp_rotated_secret_value");

  // Editing again starts from what is stored, with an empty, write-only credential.
  await row.getByRole("button", { name: "Edit" }).click();
  await expect(form.getByLabel("Max minutes")).toHaveValue("45");
  await expect(form.getByLabel("Credential value")).toHaveValue("");
  await shot(page, "12-carol-edit-connection");
  await form.getByRole("button", { name: "Cancel" }).click();
  await expect(form).toHaveCount(0);
});

test("an approver cannot approve their own request in the portal", async ({ page }) => {
  await signIn(page, "bob@example.com");
  const card = page.getByRole("article", { name: "Everything (demo MCP server)" });
  await card.getByLabel("Minutes").fill("5");
  await card.getByLabel("Reason").fill("Bob needs it himself");
  await card.getByRole("button", { name: "Request access" }).click();
  await expect(card.getByText("Request sent — waiting for approval")).toBeVisible();
  await page.getByRole("link", { name: "Approvals", exact: true }).click();
  const own = page.getByRole("article", { name: /Request from bob@example.com/ });
  await expect(own.getByText("You cannot approve your own request")).toBeVisible();
  await expect(own.getByRole("button", { name: "Approve" })).toBeDisabled();
  await shot(page, "09-bob-own-request");

  // He can withdraw it instead.
  await page.getByRole("link", { name: "My access", exact: true }).click();
  const row = page.getByRole("row").filter({ hasText: "Bob needs it himself" });
  await row.getByRole("button", { name: "Cancel request" }).click();
  await expect(row).toContainText("CANCELLED");
  await expect(row.getByRole("button", { name: "Cancel request" })).toHaveCount(0);
});
