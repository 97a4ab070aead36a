import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import type { Actor } from "../authz/permissions.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { savePolicy } from "../policies/save-policy.ts";
import { startSession } from "../recording/sessions.ts";
import { abandonHeldCalls } from "./abandon-held-calls.ts";
import { argumentsHash, identifyingParams, targetOf } from "./arguments.ts";
import { cancelHeldCall } from "./cancel-held-call.ts";
import { createHeldCall } from "./create-held-call.ts";
import { decideHeldCall } from "./decide-held-call.ts";
import { expireHeldCalls } from "./expire-held-calls.ts";
import { getHeldCall, listHeldCalls } from "./list-held-calls.ts";
import { heldCallWebhookPayload, postHeldCallWebhook } from "./webhook.ts";

// Held calls on real Postgres: who may see and decide them (nobody their own; requesters only
// their own, and someone else's is a 404 like a missing one), the one-way transitions, audit and
// NOTIFY in the same transaction, arguments shown only masked.

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;
let sessionId: string;
let connectionId: string;
const hashKey = randomBytes(32);
const missing = "00000000-0000-4000-8000-000000000000";
const SECRET_EMAIL = "jane.doe@example.com";

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  return promise.then(
    () => ({}),
    (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }),
  );
}

/** alice's call to run_sql, held in her session. */
async function hold(options: { sql?: string; minutes?: number; instance?: string; caller?: Actor; session?: string } = {}) {
  const params = {
    name: "run_sql",
    arguments: { sql: options.sql ?? "delete from users", notify: SECRET_EMAIL },
    _meta: { progressToken: 7 },
  };
  return createHeldCall(t.db, {
    callerId: (options.caller ?? alice).id,
    sessionId: options.session ?? sessionId,
    connectionId,
    rpcId: 3,
    method: "tools/call",
    tool: targetOf("tools/call", params),
    arguments: params,
    argumentsHash: argumentsHash(params),
    rule: { id: "ask-sql", description: "SQL needs a human", scope: "connection" },
    deadline: new Date(Date.now() + (options.minutes ?? 5) * 60_000),
    gatewayInstance: options.instance ?? "gw-1",
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob, carol } = await seedDemo(t.db));
  const { grantId } = await grantAndMint(t.db, { requester: alice, approver: bob, connection: "everything" });
  connectionId = (await t.db.connection.findUniqueOrThrow({ where: { slug: "everything" } })).id;
  sessionId = await startSession(t.db, { grantId, userId: alice.id, connectionId, transport: "streamable-http" });
  await savePolicy(t.db, {
    actor: carol,
    target: { kind: "connection", slug: "everything" },
    document: { default: "allow", rules: [{ kind: "mask", id: "pii", detectors: ["email"], style: "redact" }] },
  });
});
afterAll(async () => t?.drop());

describe("the arguments hash", () => {
  it("ignores key order and _meta, and changes with any argument", () => {
    const a = { name: "run_sql", arguments: { sql: "x", limit: 1 }, _meta: { progressToken: 1 } };
    const b = { arguments: { limit: 1, sql: "x" }, name: "run_sql", _meta: { progressToken: 2 } };
    expect(argumentsHash(a)).toBe(argumentsHash(b));
    expect(argumentsHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(argumentsHash({ ...a, arguments: { sql: "x", limit: 2 } })).not.toBe(argumentsHash(a));
    expect(argumentsHash({ ...a, name: "run_sql2" })).not.toBe(argumentsHash(a));
    expect(identifyingParams(undefined)).toEqual({});
    expect(targetOf("resources/read", { uri: "file:///x" })).toBe("file:///x");
    expect(targetOf("ping", {})).toBeNull();
  });
});

describe("who sees and decides held calls", () => {
  it("shows requesters only their own calls, and someone else's is a 404 worded like a missing one", async () => {
    const mine = await hold();
    const bobs = await hold({ caller: bob });
    const listed = await listHeldCalls(t.db, { actor: alice, hashKey });
    expect(listed.map((call) => call.id)).toContain(mine.id);
    expect(listed.map((call) => call.id)).not.toContain(bobs.id);
    expect(listed.every((call) => call.caller.id === alice.id)).toBe(true);
    const theirs = await failure(getHeldCall(t.db, { actor: alice, heldCallId: bobs.id, hashKey }));
    const none = await failure(getHeldCall(t.db, { actor: alice, heldCallId: missing, hashKey }));
    expect(theirs).toEqual({ code: "NOT_FOUND", message: `No held call ${bobs.id}.` });
    expect(none).toEqual({ code: "NOT_FOUND", message: `No held call ${missing}.` });
    // Approvers see everyone's; `scope: mine` narrows to their own.
    const all = (await listHeldCalls(t.db, { actor: bob, hashKey })).map((call) => call.id);
    expect(all).toEqual(expect.arrayContaining([mine.id, bobs.id]));
    expect((await listHeldCalls(t.db, { actor: bob, scope: "mine", hashKey })).map((call) => call.id)).toEqual([bobs.id]);
    expect((await listHeldCalls(t.db, { actor: bob, status: "DENIED", hashKey })).length).toBe(0);
  });

  it("shows arguments only masked by the connection's policy", async () => {
    const call = await hold();
    const view = await getHeldCall(t.db, { actor: bob, heldCallId: call.id, hashKey });
    expect(JSON.stringify(view)).not.toContain(SECRET_EMAIL);
    expect(view.arguments).toMatchObject({ name: "run_sql", arguments: { sql: "delete from users", notify: "[REDACTED:email]" } });
    expect(view).toMatchObject({ status: "PENDING", method: "tools/call", tool: "run_sql", rpcId: "3", scope: null });
    expect(view.rule).toEqual({ id: "ask-sql", description: "SQL needs a human", scope: "connection" });
    // The row keeps the exact arguments: the hash is of them.
    const row = await t.db.heldCall.findUniqueOrThrow({ where: { id: call.id } });
    expect(JSON.stringify(row.arguments)).toContain(SECRET_EMAIL);
  });

  it("lets nobody decide their own call, requesters none, and approvers others' once", async () => {
    const call = await hold();
    expect(await failure(decideHeldCall(t.db, { actor: alice, heldCallId: call.id, decision: "APPROVE", hashKey }))).toMatchObject({
      code: "FORBIDDEN",
    });
    const own = await hold({ caller: bob });
    expect(await failure(decideHeldCall(t.db, { actor: alice, heldCallId: own.id, decision: "DENY", hashKey }))).toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringMatching(/do not allow you to approve or deny held calls/),
    });
    expect(await failure(decideHeldCall(t.db, { actor: bob, heldCallId: own.id, decision: "APPROVE", hashKey }))).toEqual({
      code: "FORBIDDEN",
      message: "You cannot approve or deny your own held call.",
    });
    expect(await failure(decideHeldCall(t.db, { actor: bob, heldCallId: missing, decision: "DENY", hashKey }))).toMatchObject({
      code: "NOT_FOUND",
    });
    const approved = await decideHeldCall(t.db, {
      actor: bob,
      heldCallId: call.id,
      decision: "APPROVE",
      comment: " looks fine ",
      scope: "session",
      hashKey,
    });
    expect(approved).toMatchObject({ status: "APPROVED", scope: "session", comment: "looks fine", decidedBy: { email: bob.email } });
    expect(await failure(decideHeldCall(t.db, { actor: carol, heldCallId: call.id, decision: "DENY", hashKey }))).toEqual({
      code: "CONFLICT",
      message: "This held call is already approved; only pending held calls can be decided.",
    });
    const audit = await t.db.auditEvent.findMany({ where: { targetId: call.id }, orderBy: { id: "asc" } });
    expect(audit.map((event) => event.action)).toEqual(["held_call.created", "held_call.approved"]);
    expect(audit[0]!.actorEmail).toBe(alice.email);
    expect(audit[1]).toMatchObject({ actorEmail: bob.email, data: { scope: "session", comment: "looks fine", tool: "run_sql" } });
    const denied = await decideHeldCall(t.db, { actor: carol, heldCallId: own.id, decision: "DENY", comment: "no", hashKey });
    expect(denied).toMatchObject({ status: "DENIED", scope: null, comment: "no" });
  });

  it("refuses a decision after the deadline, and the sweep expires the call", async () => {
    const call = await hold({ minutes: -1 });
    expect(await failure(decideHeldCall(t.db, { actor: bob, heldCallId: call.id, decision: "APPROVE", hashKey }))).toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/deadline has passed/),
    });
    const fresh = await hold();
    const expired = await expireHeldCalls(t.db);
    expect(expired).toContain(call.id);
    expect(expired).not.toContain(fresh.id);
    expect(await expireHeldCalls(t.db, { heldCallId: call.id })).toEqual([]);
    const row = await t.db.heldCall.findUniqueOrThrow({ where: { id: call.id } });
    expect(row).toMatchObject({ status: "EXPIRED", endReason: "no decision before the deadline" });
  });

  it("cancels only pending calls", async () => {
    const call = await hold();
    expect(await cancelHeldCall(t.db, { heldCallId: call.id, reason: "client cancelled" })).toBe(true);
    expect(await cancelHeldCall(t.db, { heldCallId: call.id, reason: "again" })).toBe(false);
    expect(await failure(decideHeldCall(t.db, { actor: bob, heldCallId: call.id, decision: "APPROVE", hashKey }))).toMatchObject({
      code: "CONFLICT",
    });
    expect(await t.db.heldCall.findUniqueOrThrow({ where: { id: call.id } })).toMatchObject({
      status: "CANCELLED",
      endReason: "client cancelled",
    });
  });

  it("abandons the pending calls of the named gateway instances only", async () => {
    await t.db.heldCall.updateMany({ where: { status: "PENDING" }, data: { status: "CANCELLED" } });
    const one = await hold({ instance: "gw-a" });
    const two = await hold({ instance: "gw-b" });
    const three = await hold({ instance: "gw-c" });
    const other = await hold({ instance: "gw-d" });
    expect(await abandonHeldCalls(t.db, { gatewayInstance: "gw-a", reason: "gateway restarted" })).toEqual([one.id]);
    expect((await abandonHeldCalls(t.db, { gatewayInstance: ["gw-b", "gw-c"], reason: "gateway lost" })).sort()).toEqual(
      [two.id, three.id].sort(),
    );
    expect(await abandonHeldCalls(t.db, { gatewayInstance: [], reason: "gateway lost" })).toEqual([]);
    expect((await t.db.heldCall.findUniqueOrThrow({ where: { id: other.id } })).status).toBe("PENDING");
    expect(await failure(decideHeldCall(t.db, { actor: bob, heldCallId: two.id, decision: "APPROVE", hashKey }))).toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/already abandoned/),
    });
  });

  it("keeps the raw arguments only while pending: every decision replaces them with the recorded (masked) params", async () => {
    await t.db.heldCall.updateMany({ where: { status: "PENDING" }, data: { status: "CANCELLED" } });
    const approved = await hold();
    const denied = await hold();
    const expired = await hold({ minutes: -1 });
    const cancelled = await hold();
    const abandoned = await hold({ instance: "gw-gone" });
    const pending = await hold();
    // Without a recorded request the raw arguments become JSON null.
    await decideHeldCall(t.db, { actor: bob, heldCallId: denied.id, decision: "DENY", hashKey });
    await expireHeldCalls(t.db, { heldCallId: expired.id });
    await cancelHeldCall(t.db, { heldCallId: cancelled.id, reason: "client cancelled" });
    await abandonHeldCalls(t.db, { gatewayInstance: "gw-gone", reason: "gateway lost" });
    // The gateway records the request (masked, decision require-approval) before it holds it.
    await t.db.sessionEvent.create({
      data: {
        sessionId,
        seq: 1,
        at: new Date(approved.createdAt.getTime() - 5),
        direction: "CLIENT_TO_UPSTREAM",
        kind: "request",
        rpcId: "3",
        method: "tools/call",
        tool: "run_sql",
        payload: { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "run_sql", arguments: { notify: "[REDACTED:email]" } } },
        decision: "require-approval",
        prevHash: "0".repeat(64),
        hash: "1".repeat(64),
      },
    });
    await decideHeldCall(t.db, { actor: bob, heldCallId: approved.id, decision: "APPROVE", hashKey });
    const rows = await t.db.$queryRaw<Array<{ id: string; status: string; arguments: string }>>`
      SELECT "id", "status"::text, "arguments"::text FROM "HeldCall" WHERE "id" IN (${approved.id}, ${denied.id}, ${expired.id}, ${cancelled.id}, ${abandoned.id}, ${pending.id})`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(pending.id)).toMatchObject({ status: "PENDING", arguments: expect.stringContaining(SECRET_EMAIL) });
    for (const decided of [approved, denied, expired, cancelled, abandoned]) {
      expect(byId.get(decided.id)!.status).not.toBe("PENDING");
      expect(byId.get(decided.id)!.arguments).not.toContain(SECRET_EMAIL);
      expect(byId.get(decided.id)!.arguments).not.toContain("delete from users");
    }
    // The approved one had a recorded request (older than the row, same session and JSON-RPC id): its masked params.
    expect(JSON.parse(byId.get(approved.id)!.arguments)).toEqual({ name: "run_sql", arguments: { notify: "[REDACTED:email]" } });
    for (const decided of [denied, expired, cancelled, abandoned]) expect(byId.get(decided.id)!.arguments).toBe("null");
    // The API shows the recorded params of a decided call, and null when there are none.
    expect((await getHeldCall(t.db, { actor: bob, heldCallId: approved.id, hashKey })).arguments).toEqual({
      name: "run_sql",
      arguments: { notify: "[REDACTED:email]" },
    });
    expect((await getHeldCall(t.db, { actor: bob, heldCallId: denied.id, hashKey })).arguments).toBeNull();
    await t.db.sessionEvent.deleteMany({ where: { sessionId } });
  });

  it("notifies listeners of every change, after commit, and keeps the audit chain intact", async () => {
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    const seen: string[] = [];
    listener.on("notification", (message) => seen.push(message.payload ?? ""));
    await listener.query(`LISTEN ${LIVE_CHANNELS.heldCalls}`);
    const call = await hold();
    await decideHeldCall(t.db, { actor: carol, heldCallId: call.id, decision: "DENY", hashKey });
    const until = Date.now() + 2000;
    while (seen.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    await listener.end();
    expect(seen).toEqual([call.id, call.id]);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
  });
});

describe("the webhook announcement", () => {
  const call = {
    id: "hc_1",
    callerEmail: "alice@example.com",
    connection: { slug: "db", name: "Prod <db>" },
    method: "tools/call",
    tool: "run_sql",
    rule: { id: "ask-sql", description: "SQL needs a human" },
    deadline: new Date("2026-11-22T10:05:00.000Z"),
  };

  it("is Slack incoming-webhook JSON with a deep link, escaped, and without argument values", () => {
    const payload = heldCallWebhookPayload(call, "https://tollgate.example.com/");
    expect(payload.text).toContain("<https://tollgate.example.com/approvals?heldCall=hc_1|Review it in Tollgate>");
    expect(payload.text).toContain("alice@example.com called `run_sql` (tools/call) on Prod &lt;db&gt;");
    expect(payload.text).toContain("Decide before 2026-11-22T10:05:00Z");
    expect(payload.blocks[1]).toMatchObject({ elements: [{ url: "https://tollgate.example.com/approvals?heldCall=hc_1" }] });
    expect(JSON.stringify(payload)).not.toContain("arguments");
  });

  it("reports a failing or slow webhook instead of throwing", async () => {
    const slow: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(new Error("timed out"))));
    expect(await postHeldCallWebhook(call, { url: "http://hook", portalUrl: "http://p", timeoutMs: 50, fetch: slow })).toBe("timed out");
    const failing: typeof fetch = async () => new Response("nope", { status: 500 });
    expect(await postHeldCallWebhook(call, { url: "http://hook", portalUrl: "http://p", fetch: failing })).toBe(
      "webhook answered HTTP 500",
    );
  });
});
