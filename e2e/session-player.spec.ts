import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { type APIRequestContext, expect, type Page, test } from "@playwright/test";
import pg from "pg";
import { apiAs, DESKTOP, demoToken, gatewayUrl, noHorizontalScroll, PHONE, portalUrl, shot, signIn } from "./helpers.ts";

// The session player as an auditor uses it: a session made through the real gateway under a
// policy that masks an email and denies get-env; the timeline marks, request/response pairs with
// latency, keyboard stepping, a deep link, playback; a 10,000-event session (seeded with SQL)
// that opens at once and keeps only a window of rows in the DOM; and the live tail of an open
// session (server-sent events fed by the recorder's NOTIFY), measured from the call's return.
//
// The rules go in the global policy (as held-calls.spec.ts does) and it is emptied again at the
// end; every grant used is revoked (later specs expect alice to hold only the grants they create).

const EMAIL = "jane.doe@example.org";
const grants: string[] = [];

test.describe.configure({ mode: "serial" });

async function grantAndToken(request: APIRequestContext): Promise<string> {
  const created = await apiAs(request, "alice").post("/access-requests", { connection: "everything", minutes: 15, reason: "player e2e" });
  expect(created.status()).toBe(201);
  const approved = await apiAs(request, "bob").post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`);
  expect(approved.status()).toBe(200);
  const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
  grants.push(grantId);
  const minted = await apiAs(request, "alice").post(`/grants/${grantId}/tokens`);
  expect(minted.status()).toBe(201);
  return ((await minted.json()) as { token: string }).token;
}

async function connect(token: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport; sessionId: string }> {
  const transport = new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/everything`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: "player-e2e", version: "1.0.0" });
  await client.connect(transport);
  return { client, transport, sessionId: transport.sessionId! };
}

async function endSession(
  request: APIRequestContext,
  session: { client: Client; transport: StreamableHTTPClientTransport; sessionId: string },
) {
  await session.transport.terminateSession().catch(() => undefined);
  await session.client.close();
  await expect
    .poll(
      async () =>
        ((await (await apiAs(request, "alice").get(`/sessions/${session.sessionId}`)).json()) as { endedAt: string | null }).endedAt,
    )
    .not.toBeNull();
}

const current = (page: Page) => page.getByTestId("current-event");
async function currentSeq(page: Page): Promise<number> {
  return Number(await current(page).getAttribute("data-seq"));
}

let recordedId = "";

test.afterAll(async ({ request }) => {
  expect((await apiAs(request, "carol").put("/policy", { default: "allow", rules: [] })).status()).toBe(200);
  for (const grantId of grants) await apiAs(request, "alice").post(`/grants/${grantId}/revoke`, { reason: "player e2e done" });
});

test("a session with a masked email and a denied call replays with pairs, marks, keys, a deep link and playback", async ({
  page,
  request,
}) => {
  const saved = await apiAs(request, "carol").put("/policy", {
    default: "allow",
    rules: [
      { kind: "guardrail", description: "No environment dumps", match: { method: "tools/call", name: "get-env" }, action: "deny" },
      {
        kind: "guardrail",
        description: "Sums need a second look",
        match: { method: "tools/call", name: "get-sum" },
        action: "require-approval",
        holdMinutes: 5,
      },
      { kind: "mask", description: "No email addresses", detectors: ["email"], style: "redact" },
    ],
  });
  expect(saved.status()).toBe(200);
  const session = await connect(await grantAndToken(request));
  await session.client.listTools();
  const echo = await session.client.callTool({ name: "echo", arguments: { message: `write to ${EMAIL} today` } });
  expect(JSON.stringify(echo.content)).toContain("[REDACTED:email]");
  await expect(session.client.callTool({ name: "get-env", arguments: {} })).rejects.toThrow(/No environment dumps/);
  // A held call, approved by bob.
  const sum = session.client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } }, undefined, { timeout: 60_000 });
  sum.catch(() => undefined);
  let heldId = "";
  await expect
    .poll(async () => {
      const pending = (await (await apiAs(request, "bob").get("/held-calls?status=PENDING")).json()) as Array<{
        id: string;
        sessionId: string;
      }>;
      heldId = pending.find((call) => call.sessionId === session.sessionId)?.id ?? "";
      return heldId;
    })
    .not.toBe("");
  expect((await apiAs(request, "bob").post(`/held-calls/${heldId}/approve`, { comment: "fine" })).status()).toBe(200);
  expect(JSON.stringify((await sum).content)).toContain("5");
  // The last call carries one long unbroken word: on a phone it must wrap inside its box.
  await session.client.callTool({ name: "echo", arguments: { message: `last words ${"x".repeat(400)}` } });
  await endSession(request, session);
  recordedId = session.sessionId;

  await page.setViewportSize(DESKTOP);
  await signIn(page, "alice@example.com");
  await page.goto(`${portalUrl()}/sessions/${session.sessionId}`);
  const rows = page.getByTestId("session-event");
  await expect(rows.first()).toContainText("initialize");
  await expect(page.getByText("Recording verified ✓")).toBeVisible();
  const total = Number(await page.getByTestId("events-loaded").textContent());
  expect(total).toBeGreaterThanOrEqual(14);

  // The timeline marks calls, the denial, the error the gateway answered with, and masked values.
  const marks = page.getByTestId("timeline-mark");
  for (const kind of ["call", "deny", "error", "masked", "held"])
    await expect(marks.and(page.locator(`[data-kind="${kind}"]`)).first()).toBeVisible();

  // The denial: the request and the gateway's answer side by side.
  await marks.and(page.locator('[data-kind="deny"]')).first().click();
  await expect(current(page).getByTestId("event-decision").first()).toHaveText("denied by policy");
  await expect(current(page).getByTestId("pair-request")).toContainText('"get-env"');
  await expect(current(page).getByTestId("pair-response")).toContainText("No environment dumps");
  await expect(current(page).getByTestId("pair-latency")).toHaveText(/^response to #\d+ · [\d.]+ (ms|s)$/);

  // The held call: stopped at the gateway, then approved (the outcome links to its event).
  await marks.and(page.locator('[data-kind="held"]')).first().click();
  await expect(current(page).getByTestId("event-decision").first()).toHaveText("held for approval");
  await expect(current(page).getByTestId("held-outcome")).toContainText(/Held for approval → approved at #\d+/);
  await expect(current(page).getByText("→ held").first()).toBeVisible();
  await shot(page, "45-alice-player-held");

  // The masked email: highlighted in the JSON viewer, never shown in clear.
  await marks.and(page.locator('[data-kind="masked"]')).first().click();
  await expect(current(page).getByTestId("event-masked")).toContainText("email ×1");
  await expect(current(page).getByTestId("masked-token").first()).toHaveText("[REDACTED:email]");
  await expect(page.locator("main")).not.toContainText(EMAIL);

  // The echo's response: "response to #N · x ms", the request beside it.
  const echoResponse = rows.filter({ hasText: /response to #\d+ · tools\/call · echo/ }).first();
  await echoResponse.click();
  const latency = await current(page).getByTestId("pair-latency").textContent();
  console.log(`echo pair in the player: "${latency}"`);
  await expect(current(page).getByTestId("pair-latency")).toHaveText(/^response to #\d+ · [\d.]+ (ms|s)$/);
  await expect(current(page).getByTestId("pair-request")).toContainText('"echo"');
  await shot(page, "40-alice-player-pair");

  // Keys: → and j step forward, ← and k back; not while typing in the filter.
  const start = await currentSeq(page);
  await page.keyboard.press("ArrowRight");
  await expect(current(page)).toHaveAttribute("data-seq", String(start + 1));
  await page.keyboard.press("j");
  await expect(current(page)).toHaveAttribute("data-seq", String(start + 2));
  await page.keyboard.press("k");
  await page.keyboard.press("ArrowLeft");
  await expect(current(page)).toHaveAttribute("data-seq", String(start));
  await page.keyboard.press("End");
  const last = await currentSeq(page);
  expect(last).toBe(Number(await rows.last().getAttribute("data-seq")));

  // Filter inside the session: by text, then by method.
  const filter = page.getByLabel("Filter messages");
  await filter.fill("environment dumps");
  await expect(page.getByTestId("filter-count")).toContainText(/^1 of \d+ loaded messages match/);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("response to #");
  await expect(rows.first()).toContainText("get-env");
  const before = await currentSeq(page);
  await filter.press("j");
  await expect(filter).toHaveValue("environment dumpsj");
  expect(await currentSeq(page)).toBe(before);
  await filter.fill("");
  await page.getByLabel("Method").selectOption("tools/list");
  await expect(rows).toHaveCount(2); // the request and its response
  await page.getByLabel("Method").selectOption("");
  await expect(page.getByTestId("filter-count")).toHaveCount(0);

  // A link to an event opens there (?seq=N, and #eN).
  await rows.nth(3).click();
  const linked = await currentSeq(page);
  const href = await page.getByTestId("event-link").getAttribute("href");
  expect(href).toBe(`/sessions/${session.sessionId}?seq=${linked}`);
  await page.goto(`${portalUrl()}${href}`);
  await expect(current(page)).toHaveAttribute("data-seq", String(linked));
  await expect(rows.and(page.locator(`[data-seq="${linked}"]`))).toHaveAttribute("aria-current", "step");
  await page.goto(`${portalUrl()}/sessions/${session.sessionId}#e${linked + 1}`);
  await expect(current(page)).toHaveAttribute("data-seq", String(linked + 1));

  // Playback at instant runs to the last event.
  await page.getByLabel("Speed").selectOption("instant");
  await page.keyboard.press("Home");
  await expect(current(page)).toHaveAttribute("data-seq", "1");
  await page.getByRole("button", { name: "▶ Play" }).click();
  await expect(current(page)).toHaveAttribute("data-seq", String(last), { timeout: 5000 });
  await expect(page.getByRole("button", { name: "▶ Play" })).toBeVisible();
  // …and at 1× it waits the recorded gaps (at most 2 s each), so it is still on its way after a moment.
  await page.getByLabel("Speed").selectOption("1");
  await page.getByRole("button", { name: "▶ Play" }).click();
  await expect(page.getByRole("button", { name: "❚❚ Pause" })).toBeVisible();
  await page.getByRole("button", { name: "❚❚ Pause" }).click();

  await marks.and(page.locator('[data-kind="deny"]')).first().click();
  await shot(page, "41-alice-player-denied");
  await noHorizontalScroll(page);

  // On a phone: one column, the pair stacked, JSON wrapping inside its box.
  await page.setViewportSize(PHONE);
  await echoResponse.click();
  await expect(current(page).getByTestId("pair-latency")).toBeVisible();
  await shot(page, "42-alice-player-phone");
  await noHorizontalScroll(page);
  await page.keyboard.press("End");
  await expect(current(page).getByTestId("pair-response")).toContainText("xxxxxxxx");
  await noHorizontalScroll(page);
});

test("a 10,000-event session opens at once, scrolls to its last event and keeps only a window of rows", async ({ page, request }) => {
  const session = await connect(await grantAndToken(request));
  await session.client.callTool({ name: "echo", arguments: { message: "before the flood" } });
  await endSession(request, session);
  const EXTRA = 10_500;
  const db = new pg.Client({ connectionString: process.env.TOLLGATE_DATABASE_URL });
  await db.connect();
  let lastSeq = 0;
  try {
    // Pairs of a tools/call request and its response, after the recorded events. The hashes do
    // not chain (the badge says so); this is about size.
    const started = Date.now();
    const result = await db.query<{ last: number }>(
      `WITH base AS (SELECT max(seq) AS top, max("at") AS t FROM "SessionEvent" WHERE "sessionId" = $1)
       INSERT INTO "SessionEvent" ("sessionId", seq, "at", direction, kind, "rpcId", method, tool, payload, raw, "replyToSeq", "latencyMs", "prevHash", hash)
       SELECT $1, base.top + n, base.t + n * interval '3 ms',
              (CASE WHEN n % 2 = 1 THEN 'CLIENT_TO_UPSTREAM' ELSE 'UPSTREAM_TO_CLIENT' END)::"Direction",
              CASE WHEN n % 2 = 1 THEN 'request' ELSE 'response' END,
              (1000 + (n + 1) / 2)::text,
              CASE WHEN n % 2 = 1 THEN 'tools/call' END,
              CASE WHEN n % 2 = 1 THEN 'echo' END,
              p.doc::jsonb, p.doc,
              CASE WHEN n % 2 = 0 THEN base.top + n - 1 END,
              CASE WHEN n % 2 = 0 THEN 1.5 END,
              'seeded', 'seeded'
       FROM base, generate_series(1, $2::int) AS n,
            LATERAL (SELECT CASE WHEN n % 2 = 1
              THEN json_build_object('jsonrpc', '2.0', 'id', 1000 + (n + 1) / 2, 'method', 'tools/call', 'params', json_build_object('name', 'echo', 'arguments', json_build_object('message', 'flood ' || n)))::text
              ELSE json_build_object('jsonrpc', '2.0', 'id', 1000 + n / 2, 'result', json_build_object('content', json_build_array(json_build_object('type', 'text', 'text', 'Echo: flood ' || (n - 1)))))::text
            END AS doc) p
       RETURNING seq AS last`,
      [session.sessionId, EXTRA],
    );
    lastSeq = Math.max(...result.rows.map((row) => row.last));
    console.log(`seeded ${result.rowCount} events in ${Date.now() - started} ms; last seq ${lastSeq}`);
  } finally {
    await db.end();
  }
  expect(lastSeq).toBeGreaterThan(10_000);

  await page.setViewportSize(DESKTOP);
  await signIn(page, "alice@example.com");
  const opened = Date.now();
  await page.goto(`${portalUrl()}/sessions/${session.sessionId}`);
  const rows = page.getByTestId("session-event");
  await expect(rows.first()).toContainText("initialize");
  console.log(`first rows of ${lastSeq} events shown ${Date.now() - opened} ms after navigation`);
  await expect(page.getByTestId("events-loaded")).toHaveText(lastSeq.toLocaleString("en"), { timeout: 30_000 });
  console.log(`all ${lastSeq} events loaded ${Date.now() - opened} ms after navigation`);

  // Only a window of rows is in the DOM.
  const inDom = await rows.count();
  console.log(`rows in the DOM: ${inDom}`);
  expect(inDom).toBeLessThan(80);

  // Scrolling to the end reaches the last seq (End key, and the scrollbar).
  await page.getByTestId("session-event-list").evaluate((list) => {
    list.scrollTop = list.scrollHeight;
  });
  await expect(rows.and(page.locator(`[data-seq="${lastSeq}"]`))).toBeVisible();
  expect(await rows.count()).toBeLessThan(80);
  await page.keyboard.press("Home");
  await expect(current(page)).toHaveAttribute("data-seq", "1");
  await page.keyboard.press("End");
  await expect(current(page)).toHaveAttribute("data-seq", String(lastSeq));
  await expect(current(page).getByTestId("pair-latency")).toHaveText(`response to #${lastSeq - 1} · 1.5 ms`);
  await shot(page, "43-alice-player-10k");

  // A link deep into the recording opens there once that page has loaded.
  await page.goto(`${portalUrl()}/sessions/${session.sessionId}?seq=9001`);
  await expect(current(page)).toHaveAttribute("data-seq", "9001", { timeout: 30_000 });
  await expect(rows.and(page.locator('[data-seq="9001"]'))).toHaveAttribute("aria-current", "step");

  // The in-session filter runs over every loaded event.
  await expect(page.getByTestId("events-loaded")).toHaveText(lastSeq.toLocaleString("en"), { timeout: 30_000 });
  const filtering = Date.now();
  await page.getByLabel("Filter messages").fill('flood 10499"');
  await expect(page.getByTestId("filter-count")).toHaveText(`2 of ${lastSeq.toLocaleString("en")} loaded messages match`);
  console.log(`filtering ${lastSeq} events by text: ${Date.now() - filtering} ms`);
  await expect(rows).toHaveCount(2);
});

test("live tail: with the player open on an open session, a call through the gateway appears within 1 s", async ({ page, request }) => {
  const session = await connect(await grantAndToken(request));
  await page.setViewportSize(DESKTOP);
  await signIn(page, "alice@example.com");
  await page.goto(`${portalUrl()}/sessions/${session.sessionId}`);
  await expect(page.getByTestId("live-indicator")).toHaveText("Live");
  await expect(page.getByTestId("session-event").first()).toContainText("initialize");

  const rows = page.getByTestId("session-event");
  const echoResponses = rows.filter({ hasText: /response to #\d+ · tools\/call · echo/ });
  const measured: number[] = [];
  for (const n of [1, 2, 3]) {
    const message = `live tail ping ${n}`;
    await session.client.callTool({ name: "echo", arguments: { message } });
    const returned = Date.now();
    // The echo's response row is in the list (the list follows the newest message).
    await expect(echoResponses).toHaveCount(n, { timeout: 1000 });
    measured.push(Date.now() - returned);
  }
  console.log(`live tail: the call's response shown ${measured.join(" ms, ")} ms after the call returned`);
  // Following: the newest message is the one shown.
  await expect(current(page)).toHaveAttribute("data-seq", (await rows.last().getAttribute("data-seq"))!);
  await expect(current(page)).toContainText("live tail ping 3");
  await shot(page, "44-alice-player-live");

  // The viewer scrolls back: following stops, new events still arrive in the list.
  await rows.first().click();
  await expect(page.getByRole("button", { name: "Follow newest" })).toBeVisible();
  await session.client.callTool({ name: "echo", arguments: { message: "while looking back" } });
  await expect(echoResponses).toHaveCount(4, { timeout: 1000 });
  await expect(current(page)).toHaveAttribute("data-seq", "1");
  await page.getByRole("button", { name: "Follow newest" }).click();
  await expect(current(page)).toHaveAttribute("data-seq", (await rows.last().getAttribute("data-seq"))!);

  // The session ends: the stream says so and the player shows the end.
  await session.transport.terminateSession();
  await session.client.close();
  await expect(page.getByTestId("live-indicator")).toHaveCount(0, { timeout: 5000 });
  await expect(page.getByText("Recording verified ✓")).toBeVisible();
});

test("the stream route: authorized like the events route, resumable, ends with `ended`", async ({ request }) => {
  expect(recordedId).not.toBe("");
  // Bob's session (carol approves) is not alice's to watch: a 404, as from the events route.
  const created = await apiAs(request, "bob").post("/access-requests", { connection: "everything", minutes: 15, reason: "player e2e" });
  const approved = await apiAs(request, "carol").post(`/access-requests/${((await created.json()) as { id: string }).id}/approve`);
  const bobGrant = ((await approved.json()) as { grant: { id: string } }).grant.id;
  const minted = await apiAs(request, "bob").post(`/grants/${bobGrant}/tokens`);
  const bobs = await connect(((await minted.json()) as { token: string }).token);
  try {
    expect((await apiAs(request, "alice").get(`/sessions/${bobs.sessionId}/events`)).status()).toBe(404);
    expect((await apiAs(request, "alice").get(`/sessions/${bobs.sessionId}/stream`)).status()).toBe(404);
  } finally {
    await bobs.transport.terminateSession().catch(() => undefined);
    await bobs.client.close();
    await apiAs(request, "bob").post(`/grants/${bobGrant}/revoke`, { reason: "player e2e done" });
  }
  expect((await apiAs(request, "alice").get("/sessions/nope/stream")).status()).toBe(404);
  expect((await apiAs(request, "alice").get(`/sessions/${recordedId}/stream?after=x`)).status()).toBe(400);

  // An ended session's stream sends the events after ?after= (or Last-Event-ID), then `ended`, and closes.
  const ended = await apiAs(request, "alice").get(`/sessions/${recordedId}/stream?after=2`);
  expect(ended.status()).toBe(200);
  expect(ended.headers()["content-type"]).toContain("text/event-stream");
  const text = await ended.text();
  expect(text).toContain("id: 3\nevent: event\n");
  expect(text).not.toContain("id: 2\n");
  expect(text).toMatch(/event: ended\ndata: \{"endedAt":/);
  const resumed = await request.get(`${portalUrl()}/api/v1/sessions/${recordedId}/stream?after=1`, {
    headers: { authorization: `Bearer ${demoToken("alice")}`, "last-event-id": "5" },
  });
  const resumedText = await resumed.text();
  expect(resumedText).toContain("id: 6\nevent: event\n");
  expect(resumedText).not.toContain("id: 5\n");
});
