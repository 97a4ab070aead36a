import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type APIRequestContext, expect, test } from "@playwright/test";
import pg from "pg";
import { apiAs, gatewayUrl, portalUrl, shot, signIn } from "./helpers.ts";

// A recording edited in the database shows in the player's Integrity badge and the verify route.

async function recordedSession(request: APIRequestContext): Promise<string> {
  const created = await apiAs(request, "alice").post("/access-requests", {
    connection: "everything",
    minutes: 15,
    reason: "integrity e2e",
  });
  expect(created.status()).toBe(201);
  const approved = await apiAs(request, "bob").post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
  const minted = await apiAs(request, "alice").post(`/grants/${grantId}/tokens`);
  const token = ((await minted.json()) as { token: string }).token;
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "integrity-e2e", version: "1.0.0" });
  await client.connect(transport);
  await client.callTool({ name: "echo", arguments: { message: "as it was said" } });
  const sessionId = transport.sessionId!;
  await transport.terminateSession();
  await client.close();
  // The session row is ended (and its chain head stored) just after the DELETE is answered.
  await expect
    .poll(async () => ((await (await apiAs(request, "alice").get(`/sessions/${sessionId}`)).json()) as { endedAt: string | null }).endedAt)
    .not.toBeNull();
  // Later specs (the walking skeleton) expect alice to hold no other grant on `everything`.
  expect((await apiAs(request, "alice").post(`/grants/${grantId}/revoke`, { reason: "integrity e2e done" })).status()).toBe(200);
  return sessionId;
}

test("an edited recording is flagged in the player and by the verify route", async ({ page, request }) => {
  const sessionId = await recordedSession(request);
  const alice = apiAs(request, "alice");
  expect(await (await alice.get(`/sessions/${sessionId}/verify`)).json()).toMatchObject({ ok: true, headChecked: true });
  // Approvers see everyone's sessions; a session that does not exist is a 404.
  expect((await apiAs(request, "bob").get(`/sessions/${sessionId}/verify`)).status()).toBe(200);
  expect((await alice.get("/sessions/nope/verify")).status()).toBe(404);

  const db = new pg.Client({ connectionString: process.env.TOLLGATE_DATABASE_URL });
  await db.connect();
  try {
    await db.query(
      `UPDATE "SessionEvent" SET payload = jsonb_set(payload, '{params,arguments,message}', '"never said"') WHERE "sessionId" = $1 AND method = 'tools/call'`,
      [sessionId],
    );
  } finally {
    await db.end();
  }
  const verified = (await (await alice.get(`/sessions/${sessionId}/verify`)).json()) as {
    ok: boolean;
    firstBad: { seq: number; problem: string };
  };
  expect(verified).toMatchObject({ ok: false, firstBad: { problem: "altered" } });

  await signIn(page, "alice@example.com");
  await page.goto(`${portalUrl()}/sessions/${sessionId}`);
  await expect(page.getByText(`Recording altered at #${verified.firstBad.seq}`)).toBeVisible();
  await shot(page, "30-alice-recording-altered");
});
