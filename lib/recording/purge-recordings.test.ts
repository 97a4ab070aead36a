import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import type { Actor } from "../authz/permissions.ts";
import { EventWriter } from "./event-writer.ts";
import { PURGE_LOCK_KEY, purgeRecordings } from "./purge-recordings.ts";
import { SessionRecorder } from "./session-recorder.ts";
import { endSession, findVisibleSession, startSession } from "./sessions.ts";
import { verifyPurgedSummary } from "./verify-purged.ts";

let t: TestDatabase;
let users: { alice: Actor; bob: Actor; carol: Actor };
const vaultKey = randomBytes(32);
const DAY = 86_400_000;

/** A session of `calls` echo calls (and one denied call, one masked response), ended `endedDaysAgo` days ago. */
async function recordedSession(options: { calls: number; endedDaysAgo: number }): Promise<string> {
  const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
  const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
  const id = await startSession(t.db, { grantId, userId: users.alice.id, connectionId: grant.connectionId, transport: "streamable-http" });
  const writer = EventWriter.connect(t.url);
  const recorder = new SessionRecorder(writer, id);
  for (let i = 1; i <= options.calls; i++) {
    await recorder.record("CLIENT_TO_UPSTREAM", {
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: { name: "echo", arguments: { m: i } },
    });
    await recorder.record("UPSTREAM_TO_CLIENT", { jsonrpc: "2.0", id: i, result: { content: [] } }, { masked: { email: 2 } });
  }
  await recorder.record(
    "CLIENT_TO_UPSTREAM",
    { jsonrpc: "2.0", id: 99, method: "tools/call", params: { name: "drop", arguments: {} } },
    { decision: "deny" },
  );
  await writer.close();
  await endSession(t.db, { sessionId: id, reason: "client ended session", head: recorder.head });
  const endedAt = new Date(Date.now() - options.endedDaysAgo * DAY);
  await t.db.session.update({ where: { id }, data: { endedAt, startedAt: new Date(endedAt.getTime() - 60_000) } });
  return id;
}

const purge = (extra: { batchSessions?: number } = {}) =>
  purgeRecordings({ db: t.db, databaseUrl: t.url, retentionDays: 30, vaultKey, ...extra });

async function verifyPurged(sessionId: string) {
  const session = await findVisibleSession(t.db, users.carol, sessionId);
  return verifyPurgedSummary({ session, vaultKey });
}

beforeAll(async () => {
  t = await createTestDatabase();
  users = await seedDemo(t.db);
});
afterAll(async () => t.drop());

describe("retention purge", () => {
  it("is off with 0 days", async () => {
    expect(await purgeRecordings({ db: t.db, databaseUrl: t.url, retentionDays: 0, vaultKey })).toEqual({ ran: false, reason: "disabled" });
  });

  it("deletes an old session's events, keeps a valid signed summary, keeps a recent session, and is an audit event", async () => {
    const old = await recordedSession({ calls: 3, endedDaysAgo: 31 });
    const recent = await recordedSession({ calls: 2, endedDaysAgo: 29 });
    const before = await t.db.session.findUniqueOrThrow({ where: { id: old } });

    const result = await purge();
    expect(result).toMatchObject({ ran: true, sessions: 1, events: 7, batches: 1 });

    expect(await t.db.sessionEvent.count({ where: { sessionId: old } })).toBe(0);
    expect(await t.db.sessionEvent.count({ where: { sessionId: recent } })).toBe(5);
    // The search copy of the text goes with the events (search cannot find a purged message).
    expect(await t.db.sessionEventText.count({ where: { sessionId: old } })).toBe(0);
    expect(await t.db.sessionEventText.count({ where: { sessionId: recent } })).toBe(5);
    const purged = await t.db.session.findUniqueOrThrow({ where: { id: old } });
    expect(purged.purgedAt).not.toBeNull();
    expect(purged.summarySignature).toMatch(/^[0-9a-f]{64}$/);
    expect(purged.summary).toMatchObject({
      v: 1,
      sessionId: old,
      events: 7,
      firstSeq: 1,
      lastSeq: 7,
      lastHash: before.lastHash,
      tools: { drop: 1, echo: 3 },
      decisions: { deny: 1 },
      masked: { email: 6 },
      verified: { ok: true },
      retentionDays: 30,
    });
    expect((await t.db.session.findUniqueOrThrow({ where: { id: recent } })).purgedAt).toBeNull();

    const verification = await verifyPurged(old);
    expect(verification).toMatchObject({ ok: true, events: 0, purged: { signatureValid: true, headMatches: true } });
    expect(verification.firstBad).toBeUndefined();

    const audit = await t.db.auditEvent.findMany({ where: { action: "recordings.purged" } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: null, targetType: "Session", targetId: old });
    expect(audit[0]!.data).toMatchObject({
      sessions: 1,
      sessionIds: [old],
      events: 7,
      cutoff: result.ran ? result.cutoff : "",
      retentionDays: 30,
    });
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    // A second run finds nothing more to do and writes no audit event.
    expect(await purge()).toMatchObject({ ran: true, sessions: 0, events: 0, batches: 0 });
    expect(await t.db.auditEvent.count({ where: { action: "recordings.purged" } })).toBe(1);
  });

  it("fails verification of a summary edited with SQL, or moved to another session", async () => {
    const a = await recordedSession({ calls: 2, endedDaysAgo: 40 });
    const b = await recordedSession({ calls: 1, endedDaysAgo: 40 });
    await purge();
    expect((await verifyPurged(a)).ok).toBe(true);

    await t.db.$executeRawUnsafe(`UPDATE "Session" SET summary = jsonb_set(summary, '{tools,echo}', '1') WHERE id = $1`, a);
    const edited = await verifyPurged(a);
    expect(edited).toMatchObject({ ok: false, firstBad: { seq: 0, problem: "summary-invalid" }, purged: { signatureValid: false } });
    expect(edited.purged?.reason).toMatch(/edited/);

    // b's genuine summary and signature copied onto a: signed, but for another session.
    await t.db.$executeRawUnsafe(
      `UPDATE "Session" a SET summary = b.summary, "summarySignature" = b."summarySignature" FROM "Session" b WHERE a.id = $1 AND b.id = $2`,
      a,
      b,
    );
    expect(await verifyPurged(a)).toMatchObject({ ok: false, purged: { signatureValid: false } });

    // Without the key nothing can be vouched for.
    const session = await findVisibleSession(t.db, users.carol, b);
    expect(verifyPurgedSummary({ session, vaultKey: null })).toMatchObject({ ok: false, purged: { signatureValid: false } });
    expect(verifyPurgedSummary({ session, vaultKey: randomBytes(32) })).toMatchObject({ ok: false });
  });

  it("purges in batches, one audit event per batch", async () => {
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => recordedSession({ calls: 1, endedDaysAgo: 50 })));
    const auditBefore = await t.db.auditEvent.count({ where: { action: "recordings.purged" } });
    expect(await purge({ batchSessions: 2 })).toMatchObject({ ran: true, sessions: 5, events: 15, batches: 3 });
    expect(await t.db.auditEvent.count({ where: { action: "recordings.purged" } })).toBe(auditBefore + 3);
    expect(await t.db.session.count({ where: { id: { in: ids }, purgedAt: { not: null } } })).toBe(5);
  });

  it("does not run while another replica holds the purge lock, and two concurrent purges never both purge", async () => {
    const ids = await Promise.all([1, 2, 3].map(() => recordedSession({ calls: 20, endedDaysAgo: 60 })));
    const other = new pg.Client({ connectionString: t.url });
    await other.connect();
    try {
      await other.query("SELECT pg_advisory_lock($1)", [PURGE_LOCK_KEY]);
      expect(await purge()).toEqual({ ran: false, reason: "locked" });
      expect(await t.db.session.count({ where: { id: { in: ids }, purgedAt: { not: null } } })).toBe(0);
      await other.query("SELECT pg_advisory_unlock($1)", [PURGE_LOCK_KEY]);
    } finally {
      await other.end();
    }

    const auditBefore = await t.db.auditEvent.count({ where: { action: "recordings.purged" } });
    const results = await Promise.all([purge({ batchSessions: 1 }), purge({ batchSessions: 1 })]);
    // One purges all three; the other was locked out (or, started after, found nothing left).
    const purged = results.map((result) => (result.ran ? result.sessions : 0)).sort();
    expect(purged).toEqual([0, 3]);
    expect(results.some((result) => !result.ran && result.reason === "locked") || results.every((result) => result.ran)).toBe(true);
    expect(await t.db.auditEvent.count({ where: { action: "recordings.purged" } })).toBe(auditBefore + 3);
    // And once it is done, the lock is free again.
    expect(await purge()).toMatchObject({ ran: true, sessions: 0 });
  });
});
