import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { apiAs, DESKTOP, gatewayUrl, noHorizontalScroll, PHONE, portalUrl, shot, signIn } from "./helpers.ts";

// Export round trip through the API: JSONL and transcript for the owner, 404 for another
// requester, and the export in the audit log.

/** A message whose keys are not in alphabetical order, sent as this exact text. */
const SENT = '{"params":{"arguments":{"message":"keys as sent"},"name":"echo"},"id":"raw-1","method":"tools/call","jsonrpc":"2.0"}';

/** `owner` gets a grant (approved by `approver`), opens a session, calls echo twice (once as raw text), ends it. */
async function recordedSession(
  request: APIRequestContext,
  owner: string,
  approver: string,
): Promise<{ sessionId: string; grantId: string }> {
  const created = await apiAs(request, owner).post("/access-requests", { connection: "everything", minutes: 15, reason: "export e2e" });
  expect(created.status()).toBe(201);
  const approved = await apiAs(request, approver).post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
  const token = ((await (await apiAs(request, owner).post(`/grants/${grantId}/tokens`)).json()) as { token: string }).token;
  const url = new URL(`${gatewayUrl()}/mcp/everything`);
  const transport = new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: `Bearer ${token}` } } });
  const client = new Client({ name: "export-e2e", version: "1.0.0" });
  await client.connect(transport);
  await client.callTool({ name: "echo", arguments: { message: "exported" } });
  const sessionId = transport.sessionId!;
  const raw = await fetch(url, {
    method: "POST",
    headers: {
      Authorization: `Bearer ${token}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-session-id": sessionId,
      "mcp-protocol-version": transport.protocolVersion ?? "2025-06-18",
    },
    body: SENT,
  });
  expect(raw.status).toBe(200);
  expect(await raw.text()).toContain("keys as sent");
  await transport.terminateSession();
  await client.close();
  await expect
    .poll(async () => ((await (await apiAs(request, owner).get(`/sessions/${sessionId}`)).json()) as { endedAt: string | null }).endedAt)
    .not.toBeNull();
  return { sessionId, grantId };
}

test("a session exports as JSONL and as a transcript for its owner, not for another requester, and is audited", async ({ request }) => {
  const mine = await recordedSession(request, "alice", "bob");
  const bobs = await recordedSession(request, "bob", "carol");
  const alice = apiAs(request, "alice");
  try {
    // JSONL: every line parses, seqs are contiguous from 1, messages are as sent.
    const jsonl = await alice.get(`/sessions/${mine.sessionId}/export?format=jsonl`);
    expect(jsonl.status()).toBe(200);
    expect(jsonl.headers()["content-type"]).toContain("application/x-ndjson");
    expect(jsonl.headers()["content-disposition"]).toBe(`attachment; filename="tollgate-session-${mine.sessionId}.jsonl"`);
    const body = await jsonl.text();
    const lines = body.trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as { seq: number; rpcId: string | null; method: string | null; hash: string });
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events.length).toBeGreaterThanOrEqual(6); // initialize, its response, initialized, two calls and their responses
    const sent = lines.find((_, index) => events[index]!.rpcId === "raw-1" && events[index]!.method === "tools/call");
    expect(sent, "the raw request's line").toBeDefined();
    expect(sent!.endsWith(`"message":${SENT}}`)).toBe(true);
    const apiEvents = (await (await alice.get(`/sessions/${mine.sessionId}/events`)).json()) as Array<{ seq: number; hash: string }>;
    expect(events.map((event) => event.hash)).toEqual(apiEvents.map((event) => event.hash));

    // Transcript: the header names session, user and zone, the verification is ok; the calls are there.
    const transcript = await alice.get(`/sessions/${mine.sessionId}/export?format=transcript`);
    expect(transcript.status()).toBe(200);
    expect(transcript.headers()["content-type"]).toContain("text/plain");
    const text = await transcript.text();
    expect(text).toContain("All times are UTC.");
    expect(text).toContain(`Session       ${mine.sessionId}`);
    expect(text).toContain("User          alice@example.com");
    expect(text).toContain("Client        export-e2e 1.0.0");
    expect(text).toMatch(/Verification {2}ok: \d+ events match their hashes and the stored chain head/);
    expect(text).toMatch(/UTC {2}#\d+ {2}→ tools\/call echo \{"message":"keys as sent"\} {2}\[id raw-1\]/);
    expect(text).toMatch(/← result \([\d.]+ ms, reply to #\d+\)/);

    // Another requester's session is not found, in either form, alone or in a filtered set.
    expect((await alice.get(`/sessions/${bobs.sessionId}/export?format=jsonl`)).status()).toBe(404);
    expect((await alice.get(`/sessions/${bobs.sessionId}/export?format=transcript`)).status()).toBe(404);
    const set = await alice.get("/sessions/export?format=jsonl&connection=everything");
    expect(set.status()).toBe(200);
    const setText = await set.text();
    expect(setText).toContain(mine.sessionId);
    expect(setText).not.toContain(bobs.sessionId);
    expect(JSON.parse(setText.split("\n")[0]!)).toMatchObject({ export: { filters: { connection: "everything" } } });

    // An admin exports anyone's; every export is in the audit log.
    expect((await apiAs(request, "carol").get(`/sessions/${bobs.sessionId}/export`)).status()).toBe(200);
    const audit = (await (
      await apiAs(request, "carol").get(`/audit-events?action=session.exported&targetId=${mine.sessionId}`)
    ).json()) as {
      events: Array<{ actorEmail: string; data: { format: string } }>;
    };
    expect(audit.events.map((event) => [event.actorEmail, event.data.format]).sort()).toEqual([
      ["alice@example.com", "jsonl"],
      ["alice@example.com", "transcript"],
    ]);
    const bobsAudit = (await (
      await apiAs(request, "carol").get(`/audit-events?action=session.exported&targetId=${bobs.sessionId}`)
    ).json()) as {
      events: Array<{ actorEmail: string }>;
    };
    expect(bobsAudit.events.map((event) => event.actorEmail)).toEqual(["carol@example.com"]);
  } finally {
    // Later specs (the walking skeleton) expect alice and bob to hold no other grant on `everything`.
    expect((await alice.post(`/grants/${mine.grantId}/revoke`, { reason: "export e2e done" })).status()).toBe(200);
    expect((await apiAs(request, "bob").post(`/grants/${bobs.grantId}/revoke`, { reason: "export e2e done" })).status()).toBe(200);
  }
});

test("the player and the sessions list offer the export as a download", async ({ page, request }) => {
  const mine = await recordedSession(request, "alice", "bob");
  try {
    await page.setViewportSize(DESKTOP);
    await signIn(page, "alice@example.com");
    await page.goto(`${portalUrl()}/sessions/${mine.sessionId}`);
    await page.getByTestId("export-menu").locator("summary").click();
    const [jsonl] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-jsonl").click()]);
    expect(jsonl.suggestedFilename()).toBe(`tollgate-session-${mine.sessionId}.jsonl`);
    const lines = readFileSync(await jsonl.path(), "utf8")
      .trim()
      .split("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    await shot(page, "export-01-player-menu");

    await page.goto(`${portalUrl()}/sessions?connection=everything`);
    await page.getByTestId("export-menu").locator("summary").click();
    const [transcript] = await Promise.all([page.waitForEvent("download"), page.getByTestId("export-transcript").click()]);
    const text = readFileSync(await transcript.path(), "utf8");
    expect(text).toContain(mine.sessionId);
    await page.setViewportSize(PHONE);
    await noHorizontalScroll(page);
  } finally {
    expect((await apiAs(request, "alice").post(`/grants/${mine.grantId}/revoke`, { reason: "export e2e done" })).status()).toBe(200);
  }
});
