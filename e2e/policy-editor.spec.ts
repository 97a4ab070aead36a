import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, type Page, test } from "@playwright/test";
import { apiAs, DESKTOP, gatewayUrl, noHorizontalScroll, PHONE, shot, signIn } from "./helpers.ts";

// The policy editor end to end: carol writes a mask rule and a deny rule for `everything` in the
// portal, checks them in the live preview, saves; a real MCP client then sees the mask and the
// deny through the real gateway; versions are compared and restored.

const EMAIL = "jane.doe@example.org";

async function openEverythingPolicy(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Policies", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Policies", exact: true })).toBeVisible();
  await page.getByRole("link", { name: "Everything (demo MCP server)" }).click();
  await expect(page.getByRole("heading", { name: "Policy: Everything (demo MCP server)" })).toBeVisible();
}

// The tests build on each other: version 1, then the gateway under it, then versions 2–4.
test.describe.configure({ mode: "serial" });

test("carol writes a mask rule and a deny rule, previews them and saves version 1", async ({ page }) => {
  await page.setViewportSize(DESKTOP);
  await signIn(page, "carol@example.com");
  await openEverythingPolicy(page);
  await expect(page.getByTestId("policy-version-status")).toContainText("Never saved");

  // Every problem of a rule shows at once, at its field.
  await page.getByRole("button", { name: "Add guardrail rule" }).click();
  const guardrail = page.getByRole("form", { name: "New guardrail rule" });
  await guardrail.getByRole("button", { name: "Add argument matcher" }).click();
  await guardrail.getByLabel("Argument 1 JSON path").fill("query");
  await guardrail.getByRole("button", { name: "Add rule" }).click();
  await expect(guardrail.getByText(/is not a valid JSON path: it must start with "\$"/)).toBeVisible();
  await expect(guardrail.getByText("Enter a value to compare with")).toBeVisible();
  await guardrail.getByRole("button", { name: "Remove argument matcher 1" }).click();

  await guardrail.getByLabel("Description").fill("No environment dumps");
  await guardrail.getByLabel("Method").selectOption("tools/call");
  await guardrail.getByLabel("Name (glob)").fill("get-env*");
  await guardrail.getByLabel("Action").selectOption("deny");
  await guardrail.getByRole("button", { name: "Add rule" }).click();
  await expect(guardrail).toHaveCount(0);

  await page.getByRole("button", { name: "Add mask rule" }).click();
  const mask = page.getByRole("form", { name: "New mask rule" });
  await mask.getByRole("button", { name: "Add rule" }).click();
  await expect(mask.getByText("Needs at least one of detectors, paths, keys or regex")).toBeVisible();
  await mask.getByLabel("Description").fill("No email addresses");
  await mask.getByLabel("email", { exact: true }).check();
  await expect(mask.getByLabel("redact")).toBeChecked();
  await mask.getByRole("button", { name: "Add rule" }).click();
  await expect(mask).toHaveCount(0);

  const rules = page.getByTestId("policy-rule");
  await expect(rules).toHaveCount(2);
  await expect(rules.nth(0)).toContainText("Deny: tools/call get-env*");
  await expect(rules.nth(1)).toContainText("Mask email (redact)");
  await expect(page.getByText("Unsaved changes")).toBeVisible();

  // The live preview runs the draft: the email in a tool result is redacted and highlighted.
  const preview = page.getByTestId("policy-preview");
  await preview
    .getByLabel("JSON-RPC message")
    .fill(JSON.stringify({ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: `Echo: write to ${EMAIL} today` }] } }));
  await preview.getByLabel("Direction").selectOption("response");
  await preview.getByLabel("Request method").fill("tools/call");
  const forwarded = preview.getByRole("figure", { name: "Forwarded message" });
  await expect(forwarded.getByTestId("masked-token").first()).toHaveText("[REDACTED:email]");
  await expect(forwarded).not.toContainText(EMAIL);
  await expect(preview.getByTestId("preview-findings")).toContainText("$.result.content[0].text");
  await expect(preview.getByTestId("preview-counts")).toContainText("email");
  await shot(page, "13-carol-policy-editor");

  // …and the deny rule stops a get-env call.
  await preview.getByLabel("Sample message").selectOption({ label: "Example: a tools/call request" });
  await expect(preview.getByTestId("preview-decision")).toContainText("deny");
  await expect(preview.getByTestId("preview-decision")).toContainText("No environment dumps");

  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved as version 1.")).toBeVisible();
  await expect(page.getByTestId("policy-version-status")).toContainText("Version 1");
  await expect(page.getByText("Unsaved changes")).toHaveCount(0);
  await expect(page.getByTestId("policy-version")).toHaveCount(1);

  // The same page on a phone: one column, nothing wider than the screen.
  await page.setViewportSize(PHONE);
  await preview.getByLabel("Sample message").selectOption({ label: "Example: a tool result with personal data" });
  await expect(preview.getByTestId("masked-token").first()).toHaveText("[REDACTED:email]");
  await shot(page, "14-carol-policy-editor-phone");
  await noHorizontalScroll(page);
});

test("through the real gateway: the email is masked and get-env is denied naming the rule", async ({ request, page }) => {
  const alice = apiAs(request, "alice");
  const bob = apiAs(request, "bob");
  const created = await alice.post("/access-requests", { connection: "everything", minutes: 10, reason: "policy editor check" });
  expect(created.status()).toBe(201);
  const approved = await bob.post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`, {});
  expect(approved.status()).toBe(200);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
  const minted = await alice.post(`/grants/${grantId}/tokens`);
  expect(minted.status()).toBe(201);
  const token = ((await minted.json()) as { token: string }).token;

  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "policy-e2e", version: "1.0.0" });
  await client.connect(transport);
  try {
    const echo = await client.callTool({ name: "echo", arguments: { message: `mail ${EMAIL} now` } });
    const text = JSON.stringify(echo.content);
    expect(text).toContain("[REDACTED:email]");
    expect(text).not.toContain(EMAIL);
    await expect(client.callTool({ name: "get-env", arguments: {} })).rejects.toThrow(/No environment dumps/);
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
    // Leave alice without this grant: later specs expect her to hold only the ones they create.
    expect((await bob.post(`/grants/${grantId}/revoke`)).status()).toBe(200);
  }

  // Requesters see the deny rule in the catalog before they ask.
  await signIn(page, "alice@example.com");
  const card = page.getByRole("article", { name: "Everything (demo MCP server)" });
  await expect(card.getByTestId("connection-guardrails")).toContainText("Denied: get-env*");
  await expect(card.getByTestId("connection-guardrails")).toContainText("No environment dumps");
  await shot(page, "16-alice-catalog-policy");
});

test("versions: save version 2, compare with version 1, restore it as version 3; a stale save is a 409", async ({ page, request }) => {
  await page.setViewportSize(DESKTOP);
  await signIn(page, "carol@example.com");
  await page.getByRole("link", { name: "Policies", exact: true }).click();
  await expect(page.getByRole("listitem").filter({ hasText: "Everything (demo MCP server)" })).toContainText("version 1");
  await shot(page, "17-carol-policies-overview");
  await openEverythingPolicy(page);
  await expect(page.getByTestId("policy-version-status")).toContainText("Version 1");

  // The gateway call above was recorded (masked): it is a sample now, direction set from it.
  const preview = page.getByTestId("policy-preview");
  const recorded = preview.getByLabel("Sample message").locator("option", { hasText: "tools/call echo" }).first();
  await preview.getByLabel("Sample message").selectOption({ label: (await recorded.textContent()) ?? "" });
  await expect(preview.getByLabel("Direction")).toHaveValue("request");
  await expect(preview.getByRole("figure", { name: "Forwarded message" })).toContainText("[REDACTED:email]");

  // Reorder with the keyboard: focus stays on the moved rule's button.
  const rules = page.getByTestId("policy-rule");
  await page.getByRole("button", { name: "Move rule 2 up" }).focus();
  await page.keyboard.press("Enter");
  await expect(rules.nth(0)).toContainText("Mask email");
  await expect(page.getByRole("button", { name: "Move rule 1 down" })).toBeFocused();
  await page.getByRole("radio", { name: "Deny" }).check();
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText("Saved as version 2.")).toBeVisible();

  const versions = page.getByTestId("policy-version");
  await expect(versions).toHaveCount(2);
  await expect(versions.first()).toContainText("default allow → deny");
  await expect(versions.first()).toContainText("reordered rules");
  await versions.filter({ hasText: "Version 1" }).click();
  const diff = page.getByRole("figure", { name: /Differences between version 1/ });
  await expect(diff.locator('[data-diff="removed"]').first()).toBeVisible();
  await expect(diff.locator('[data-diff="added"]').first()).toBeVisible();
  await page.getByRole("button", { name: "Restore version 1…" }).click();
  await shot(page, "15-carol-policy-versions");
  await page.getByRole("button", { name: "Restore version 1", exact: true }).click();
  await expect(page.getByText("Restored as version 3.")).toBeVisible();
  await expect(versions).toHaveCount(3);
  await expect(versions.first()).toContainText("restored from 1");
  await expect(rules.nth(0)).toContainText("Deny: tools/call get-env*");
  await expect(page.getByRole("radio", { name: "Allow" })).toBeChecked();

  // Someone else saves meanwhile (this also leaves the connection without rules for later specs).
  const carol = apiAs(request, "carol");
  const other = await carol.put("/connections/everything/policy", { default: "allow", rules: [], baseVersion: 3 });
  expect(other.status()).toBe(200);
  await page.getByRole("radio", { name: "Deny" }).check();
  await page.getByRole("button", { name: "Save policy" }).click();
  await expect(page.getByText(/saved as version 4 by carol@example.com/)).toBeVisible();
  await page.getByRole("button", { name: /Reload the saved policy/ }).click();
  await expect(page.getByText("Reloaded version 4.", { exact: false })).toBeVisible();
  await expect(rules).toHaveCount(0);
  await noHorizontalScroll(page);
});
