import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type APIRequestContext, type Browser, expect, type Page, test } from "@playwright/test";
import { apiAs, DESKTOP, gatewayUrl, noHorizontalScroll, PHONE, shot, signIn } from "./helpers.ts";

// Held calls end to end: carol puts a require-approval rule on `echo`; alice's real MCP client
// calls it on `everything` through the real gateway and waits; bob, with Approvals open, sees the
// call appear live (no reload), with its arguments, rule and countdown, and approves it (alice's
// client gets the echo) or denies it (alice's client gets an error with his comment). Alice sees
// her waiting call on My access. Afterwards the policy is emptied again and the grants are revoked.
//
// The rule goes in the global policy, not in `everything`'s own: policy versions cannot be
// deleted, and policy-editor.spec.ts (which runs after this file) starts from an `everything`
// policy that was never saved and counts its versions from 1.
const POLICY = "/policy";

const RULE = "Echo waits for a second pair of eyes";
/** Long enough that the client's own request timeout never decides a test. */
const CALL_OPTIONS = { timeout: 120_000 };

/** A grant on `everything` for `who` (approved by `approver`) and a gateway token for it. */
async function grantAndToken(request: APIRequestContext, who: string, approver: string): Promise<{ grantId: string; token: string }> {
  const created = await apiAs(request, who).post("/access-requests", { connection: "everything", minutes: 15, reason: "held calls e2e" });
  expect(created.status()).toBe(201);
  const approved = await apiAs(request, approver).post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`);
  expect(approved.status()).toBe(200);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
  const minted = await apiAs(request, who).post(`/grants/${grantId}/tokens`);
  expect(minted.status()).toBe(201);
  return { grantId, token: ((await minted.json()) as { token: string }).token };
}

async function mcpClient(token: string): Promise<{ client: Client; close: () => Promise<void> }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "held-calls-e2e", version: "1.0.0" });
  await client.connect(transport);
  return {
    client,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** Starts a tool call without awaiting it; a failure is kept for the test to assert, never unhandled. */
function startCall(client: Client, message: string, signal?: AbortSignal) {
  const call = client.callTool({ name: "echo", arguments: { message } }, undefined, { ...CALL_OPTIONS, signal });
  call.catch(() => undefined);
  return call;
}

async function signedIn(browser: Browser, email: string): Promise<Page> {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await signIn(page, email);
  return page;
}

async function openApprovals(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Approvals", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Held tool calls" })).toBeVisible();
  await expect(page.getByText("No tool call is waiting for a decision.")).toBeVisible();
  // Give the page time to open its event stream: what follows must arrive live, not by polling.
  await page.waitForTimeout(1500);
}

const grants: string[] = [];

test.describe.configure({ mode: "serial" });

test.afterAll(async ({ playwright }) => {
  const request = await playwright.request.newContext();
  try {
    // Later specs expect no policy rules and alice holding only the grants they create.
    expect((await apiAs(request, "carol").put(POLICY, { default: "allow", rules: [] })).status()).toBe(200);
    for (const grantId of grants) expect((await apiAs(request, "carol").post(`/grants/${grantId}/revoke`)).status()).toBe(200);
  } finally {
    await request.dispose();
  }
});

test("carol holds echo for approval; bob sees alice's call appear live and approves it; her client gets the echo", async ({
  browser,
  request,
}) => {
  const saved = await apiAs(request, "carol").put(POLICY, {
    default: "allow",
    rules: [
      {
        id: "hold-echo",
        kind: "guardrail",
        description: RULE,
        match: { method: "tools/call", name: "echo" },
        action: "require-approval",
        holdMinutes: 5,
      },
    ],
  });
  expect(saved.status()).toBe(200);
  const alice = await grantAndToken(request, "alice", "bob");
  grants.push(alice.grantId);

  const bob = await signedIn(browser, "bob@example.com");
  await openApprovals(bob);
  const mine = await signedIn(browser, "alice@example.com");
  await mine.getByRole("link", { name: "My access", exact: true }).click();
  await expect(mine.getByRole("heading", { name: "My access" })).toBeVisible();

  const session = await mcpClient(alice.token);
  try {
    const echo = startCall(session.client, "deploy release 42 to production");

    // Bob's queue shows the call at once: who, where, what, the arguments, the rule, time left.
    const held = bob.getByRole("article", { name: "Held call from alice@example.com: echo" });
    await expect(held).toBeVisible({ timeout: 5000 });
    await expect(held).toContainText("Everything (demo MCP server)");
    await expect(held).toContainText("tools/call");
    await expect(held.getByTestId("held-call-arguments")).toContainText('"message": "deploy release 42 to production"');
    await expect(held.getByTestId("held-call-rule")).toContainText(RULE);
    await expect(held.getByTestId("held-call-rule")).toContainText("hold-echo");
    await expect(held.getByTestId("held-call-rule")).toContainText("global policy");
    await expect(held.getByTestId("held-call-countdown")).toHaveText(/^0[45]:\d\d$/);
    await expect(bob.getByRole("region", { name: "Held tool calls" })).toContainText("1 waiting");
    // The countdown ticks.
    const first = await held.getByTestId("held-call-countdown").textContent();
    await expect(held.getByTestId("held-call-countdown")).not.toHaveText(first ?? "", { timeout: 3000 });
    await shot(bob, "20-bob-held-call");
    await bob.setViewportSize(PHONE);
    await expect(held.getByTestId("held-call-arguments")).toBeVisible();
    await shot(bob, "21-bob-held-call-phone");
    await noHorizontalScroll(bob);
    await bob.setViewportSize(DESKTOP);

    // Alice sees her waiting call on My access, live as well.
    const waiting = mine.getByRole("region", { name: "Your held tool calls" });
    await expect(waiting.getByRole("heading", { name: "A call of yours is waiting for approval" })).toBeVisible({ timeout: 5000 });
    const myCall = waiting.getByRole("article", { name: "Your held call: echo" });
    await expect(myCall).toContainText("Everything (demo MCP server)");
    await expect(myCall.getByTestId("held-call-countdown")).toHaveText(/^0[45]:\d\d$/);
    await shot(mine, "22-alice-held-call-my-access");
    await mine.setViewportSize(PHONE);
    await shot(mine, "23-alice-held-call-my-access-phone");
    await noHorizontalScroll(mine);
    await mine.setViewportSize(DESKTOP);

    // Bob approves with a comment; the client, still waiting, gets the upstream's answer.
    await held.getByLabel("Comment").fill("Release window is open");
    await held.getByRole("button", { name: "Approve" }).click();
    const result = await echo;
    expect(JSON.stringify(result.content)).toContain("Echo: deploy release 42 to production");
    await expect(held).toHaveCount(0);
    const recent = bob.getByTestId("recent-held-call").first();
    await expect(recent).toContainText("APPROVED");
    await expect(recent).toContainText("approved by bob@example.com");
    await expect(recent).toContainText("Release window is open");
    await expect(waiting.getByRole("heading", { name: "Your held tool calls" })).toBeVisible({ timeout: 5000 });
    await expect(mine.getByTestId("my-recent-held-call").first()).toContainText("approved by bob@example.com");

    // "For the rest of this session": identical calls then pass without a new hold.
    const again = startCall(session.client, "same again");
    const second = bob.getByRole("article", { name: "Held call from alice@example.com: echo" });
    await expect(second.getByTestId("held-call-arguments")).toContainText('"message": "same again"', { timeout: 5000 });
    await second.getByLabel("Approve identical calls for the rest of this session").check();
    await second.getByRole("button", { name: "Approve" }).click();
    expect(JSON.stringify((await again).content)).toContain("Echo: same again");
    await expect(bob.getByTestId("recent-held-call").first()).toContainText("for the rest of the session");
    const repeated = await session.client.callTool({ name: "echo", arguments: { message: "same again" } }, undefined, { timeout: 10_000 });
    expect(JSON.stringify(repeated.content)).toContain("Echo: same again");
    const stillPending = await apiAs(request, "bob").get("/held-calls?status=PENDING");
    expect((await stillPending.json()) as unknown[]).toHaveLength(0);
  } finally {
    await session.close();
    await bob.context().close();
    await mine.context().close();
  }
});

test("bob denies with a comment: alice's client gets an error naming it; his own call he cannot decide", async ({ browser, request }) => {
  const grantId = grants[0];
  expect(grantId, "the first test made alice's grant").toBeTruthy();
  const minted = await apiAs(request, "alice").post(`/grants/${grantId}/tokens`);
  expect(minted.status()).toBe(201);
  const aliceToken = ((await minted.json()) as { token: string }).token;

  const bob = await signedIn(browser, "bob@example.com");
  await openApprovals(bob);
  const alice = await mcpClient(aliceToken);
  try {
    const echo = startCall(alice.client, "rm -rf /var/backups");
    const held = bob.getByRole("article", { name: "Held call from alice@example.com: echo" });
    await expect(held.getByTestId("held-call-arguments")).toContainText("rm -rf /var/backups", { timeout: 5000 });
    await held.getByLabel("Comment").fill("Not during the release freeze");
    await held.getByRole("button", { name: "Deny" }).click();
    await expect(echo).rejects.toThrow(/Not during the release freeze/);
    await expect(held).toHaveCount(0);
    const recent = bob.getByTestId("recent-held-call").first();
    await expect(recent).toContainText("DENIED");
    await expect(recent).toContainText("denied by bob@example.com");
    await expect(recent).toContainText("Not during the release freeze");
  } finally {
    await alice.close();
  }

  // Bob's own call: shown in his queue, but he cannot decide it (the API says so too). His client
  // gives up; the call is cancelled and listed as such.
  const own = await grantAndToken(request, "bob", "carol");
  grants.push(own.grantId);
  const bobClient = await mcpClient(own.token);
  const abort = new AbortController();
  try {
    const call = startCall(bobClient.client, "my own call", abort.signal);
    const held = bob.getByRole("article", { name: "Held call from bob@example.com: echo" });
    await expect(held).toBeVisible({ timeout: 5000 });
    await expect(held.getByText("You cannot approve or deny your own call")).toBeVisible();
    await expect(held.getByRole("button", { name: "Approve" })).toBeDisabled();
    await expect(held.getByRole("button", { name: "Deny" })).toBeDisabled();
    const pending = (await (await apiAs(request, "bob").get("/held-calls?status=PENDING")).json()) as Array<{ id: string }>;
    expect(pending).toHaveLength(1);
    const selfApproval = await apiAs(request, "bob").post(`/held-calls/${pending[0]!.id}/approve`, {});
    expect(selfApproval.status()).toBe(403);
    await shot(bob, "24-bob-own-held-call");

    abort.abort();
    await expect(call).rejects.toThrow();
    await expect(held).toHaveCount(0, { timeout: 5000 });
    await expect(bob.getByTestId("recent-held-call").first()).toContainText("CANCELLED");
    await expect(bob.getByText("No tool call is waiting for a decision.")).toBeVisible();
    await shot(bob, "25-bob-held-calls-recent");
    await bob.setViewportSize(PHONE);
    await shot(bob, "26-bob-held-calls-recent-phone");
    await noHorizontalScroll(bob);
  } finally {
    await bobClient.close();
    await bob.context().close();
  }
});
