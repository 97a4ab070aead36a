import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { expect, test } from "@playwright/test";
import { gatewayUrl, shot, signIn } from "./helpers.ts";

// Steps 3–5 of the walking skeleton in real Chromium against the real portal, IdP and gateway:
// alice requests, bob approves, alice mints a token, an MCP SDK client calls a tool through the
// gateway, and both see the recorded session.

test("request → approve → token → MCP call → recording", async ({ browser }) => {
  const aliceContext = await browser.newContext();
  const bobContext = await browser.newContext();
  const alice = await aliceContext.newPage();
  const bob = await bobContext.newPage();

  // Alice signs in through the IdP and requests 15 minutes on `everything`.
  await signIn(alice, "alice@example.com", { screenshots: true });
  const card = alice.getByRole("article", { name: "Everything (demo MCP server)" });
  await expect(card).toBeVisible();
  await expect(alice.getByRole("link", { name: "Approvals", exact: true })).toHaveCount(0);
  await card.getByLabel("Minutes").fill("15");
  await card.getByLabel("Reason").fill("Investigating incident INC-4711");
  await shot(alice, "01-alice-catalog");
  await card.getByRole("button", { name: "Request access" }).click();
  await expect(card.getByText("Request sent — waiting for approval")).toBeVisible();
  await shot(alice, "02-alice-requested");

  // Bob sees it in his queue and approves it; he cannot approve his own request.
  await signIn(bob, "bob@example.com");
  await bob.getByRole("link", { name: "Approvals", exact: true }).click();
  const request = bob
    .getByRole("article", { name: /Request from alice@example.com/ })
    .filter({ hasText: "Investigating incident INC-4711" });
  await expect(request).toContainText("Investigating incident INC-4711");
  await expect(request).toContainText("15");
  await shot(bob, "03-bob-approvals");
  await request.getByLabel("Comment").fill("Approved for the incident");
  await request.getByRole("button", { name: "Approve" }).click();
  await expect(request).toHaveCount(0);
  await expect(bob.getByText("alice@example.com").first()).toBeVisible();

  // Alice sees the grant with a countdown, mints a gateway token and gets client configs.
  await alice.getByRole("link", { name: "My access", exact: true }).click();
  const grant = alice.getByRole("article", { name: "Everything (demo MCP server)" });
  await expect(grant.getByTestId("countdown")).toHaveText(/^1[45]:\d\d$/);
  await grant.getByRole("button", { name: "Create gateway token" }).click();
  const tokenBox = alice.getByTestId("gateway-token");
  await expect(tokenBox).toHaveText(/^tgg_/);
  const token = (await tokenBox.textContent())!.trim();
  await expect(alice.getByText(`${gatewayUrl()}/mcp/everything`).first()).toBeVisible();
  await expect(alice.locator("pre").filter({ hasText: "mcp-remote" })).toContainText(token);
  await expect(grant.getByTestId("gateway-token-row")).toHaveCount(1);
  await shot(alice, "04-alice-token-and-config");

  // An MCP client uses the token through the gateway exactly as it would use the server directly.
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "playwright-e2e", version: "1.0.0" });
  await client.connect(transport);
  const tools = await client.listTools();
  expect(tools.tools.map((tool) => tool.name)).toContain("echo");
  const echo = await client.callTool({ name: "echo", arguments: { message: "hello from the browser test" } });
  expect(echo.content).toEqual([{ type: "text", text: "Echo: hello from the browser test" }]);
  await transport.terminateSession();
  await client.close();

  // Alice replays her session step by step.
  await alice.getByRole("link", { name: "Sessions", exact: true }).click();
  // A row of the list (the filter bar's connection options say "everything" too, unseen).
  await expect(alice.getByRole("cell").filter({ hasText: "everything" }).first()).toBeVisible();
  await shot(alice, "05-alice-sessions");
  await alice.getByRole("link", { name: "Replay" }).first().click();
  const events = alice.getByTestId("session-event");
  await expect(events.first()).toBeVisible();
  expect(await events.count()).toBeGreaterThanOrEqual(6);
  await expect(events.first()).toContainText("initialize");
  // The recording's hash chain checks out (GET /api/v1/sessions/{id}/verify).
  await expect(alice.getByText("Recording verified ✓")).toBeVisible();
  await expect(events.first()).toContainText("→ upstream");
  await expect(events.nth(1)).toContainText("← client");
  await expect(events.filter({ hasText: "tools/call" }).first()).toBeVisible();
  await alice.getByRole("button", { name: "Next" }).click();
  await alice.getByRole("button", { name: "Next" }).click();
  await expect(alice.getByTestId("current-event")).toBeVisible();
  await shot(alice, "06-alice-replay");

  // Bob (approver) sees everyone's sessions, including alice's.
  await bob.getByRole("link", { name: "Sessions", exact: true }).click();
  await expect(bob.getByText("alice@example.com").first()).toBeVisible();
  await shot(bob, "07-bob-sessions");

  // A token that leaked can be revoked on its own: the gateway refuses it from then on.
  await alice.getByRole("link", { name: "My access", exact: true }).click();
  const row = alice.getByRole("article", { name: "Everything (demo MCP server)" }).getByTestId("gateway-token-row");
  await row.getByRole("button", { name: "Revoke token" }).click();
  await expect(row).toContainText("REVOKED");
  const refused = await fetch(`${gatewayUrl()}/mcp/everything`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "x", version: "1" } },
    }),
  });
  expect(refused.status).toBe(401);
  expect(JSON.stringify(await refused.json())).toContain("revoked");

  await aliceContext.close();
  await bobContext.close();
});
