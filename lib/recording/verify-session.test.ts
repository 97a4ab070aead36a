import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { chainHash } from "../hash.ts";
import { EventWriter } from "./event-writer.ts";
import { SessionRecorder } from "./session-recorder.ts";
import { endOrphanedSessions, endSession, startSession, storeSessionHead } from "./sessions.ts";
import { verifySession } from "./verify-session.ts";

// Tampering is done with plain SQL, as someone with database access would: each edit must show.

let t: TestDatabase;
let users: { alice: Actor; bob: Actor; carol: Actor };

async function recordedSession(options: { events: number; end?: boolean; fromRecorder?: boolean }): Promise<string> {
  const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
  const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
  const id = await startSession(t.db, { grantId, userId: users.alice.id, connectionId: grant.connectionId, transport: "streamable-http" });
  const writer = EventWriter.connect(t.url);
  const recorder = new SessionRecorder(writer, id);
  for (let i = 1; i <= options.events; i++) {
    // Keys out of alphabetical order, as clients send them: jsonb stores them sorted.
    await recorder.record(i % 2 ? "CLIENT_TO_UPSTREAM" : "UPSTREAM_TO_CLIENT", {
      jsonrpc: "2.0",
      id: i,
      method: "tools/call",
      params: { name: "echo", arguments: { zeta: 1, alpha: `m${i}` } },
    });
  }
  if (options.events > 0)
    await recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 99 }, { decision: "deny", masked: { email: 2 } });
  await writer.close();
  if (options.end !== false) {
    await endSession(t.db, { sessionId: id, reason: "client ended session", ...(options.fromRecorder ? { head: recorder.head } : {}) });
  }
  return id;
}

const verify = (sessionId: string, actor: Actor = users.alice) => verifySession(t.db, { actor, sessionId });

beforeAll(async () => {
  t = await createTestDatabase();
  users = await seedDemo(t.db);
});
afterAll(async () => t.drop());

describe("verifying a session recording", () => {
  it("passes an untouched recording (jsonb's key order and annotations included) and stores the chain head at the end", async () => {
    const id = await recordedSession({ events: 5, fromRecorder: true });
    const result = await verify(id);
    expect(result).toMatchObject({ ok: true, events: 6, headChecked: true });
    expect(result.firstBad).toBeUndefined();
    const session = await t.db.session.findUniqueOrThrow({ where: { id } });
    const newest = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId: id }, orderBy: { seq: "desc" } });
    expect([session.lastSeq, session.lastHash]).toEqual([6, newest.hash]);
  });

  it("passes an empty session and an open one (whose head is not stored yet)", async () => {
    expect(await verify(await recordedSession({ events: 0 }))).toMatchObject({ ok: true, events: 0, headChecked: true });
    expect(await verify(await recordedSession({ events: 3, end: false }))).toMatchObject({ ok: true, events: 4, headChecked: false });
  });

  it("names an event whose payload was edited", async () => {
    const id = await recordedSession({ events: 5 });
    await t.db.$executeRawUnsafe(
      `UPDATE "SessionEvent" SET payload = jsonb_set(payload, '{params,arguments,alpha}', '"edited"') WHERE "sessionId" = $1 AND seq = 3`,
      id,
    );
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 3, problem: "altered" } });
  });

  it("names an event whose message as sent (raw) or whose jsonb copy alone was edited", async () => {
    const id = await recordedSession({ events: 5 });
    await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET raw = replace(raw, '"m2"', '"edited"') WHERE "sessionId" = $1 AND seq = 2`, id);
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: "altered" } });
    const other = await recordedSession({ events: 5 });
    await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET raw = 'not json' WHERE "sessionId" = $1 AND seq = 4`, other);
    expect(await verify(other)).toMatchObject({ ok: false, firstBad: { seq: 4, problem: "altered" } });
  });

  it("verifies events recorded before raw and pairing existed (no raw, no pairing columns)", async () => {
    const id = await recordedSession({ events: 3 });
    // The old recorder's rows: the hash covered seq, at, direction, payload (and annotations); no raw.
    const rows = await t.db.sessionEvent.findMany({ where: { sessionId: id }, orderBy: { seq: "asc" } });
    expect(rows.every((row) => row.raw !== null && row.replyToSeq === null)).toBe(true);
    await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET raw = NULL WHERE "sessionId" = $1`, id);
    expect(await verify(id)).toMatchObject({ ok: true, events: 4, headChecked: true });
  });

  it("covers a response's pairing (replyToSeq, latencyMs) by the hash", async () => {
    const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const id = await startSession(t.db, {
      grantId,
      userId: users.alice.id,
      connectionId: grant.connectionId,
      transport: "streamable-http",
    });
    const writer = EventWriter.connect(t.url);
    const recorder = new SessionRecorder(writer, id);
    await recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: {} } });
    await recorder.record("UPSTREAM_TO_CLIENT", { jsonrpc: "2.0", id: 7, result: { content: [] } });
    await writer.close();
    await endSession(t.db, { sessionId: id, reason: "client ended session", head: recorder.head });
    const response = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId: id, seq: 2 } });
    expect(response.replyToSeq).toBe(1);
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
    expect(await verify(id)).toMatchObject({ ok: true, events: 2 });
    await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET "latencyMs" = "latencyMs" + 100 WHERE "sessionId" = $1 AND seq = 2`, id);
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: "altered" } });
    await t.db.$executeRawUnsafe(
      `UPDATE "SessionEvent" SET "latencyMs" = $2, "replyToSeq" = NULL WHERE "sessionId" = $1 AND seq = 2`,
      id,
      response.latencyMs,
    );
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: "altered" } });
  });

  it("checks an open session against its checkpointed head: events up to it must exist, newer ones may follow", async () => {
    const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const open = async (events: number, checkpointAt: number) => {
      const id = await startSession(t.db, { grantId, userId: users.alice.id, connectionId: grant.connectionId, transport: "websocket" });
      const writer = EventWriter.connect(t.url);
      const recorder = new SessionRecorder(writer, id);
      for (let i = 1; i <= events; i++) {
        await recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", method: "notifications/progress", params: { i } });
        if (i === checkpointAt) await storeSessionHead(t.db, { sessionId: id, head: recorder.committedHead });
      }
      await writer.close();
      return id;
    };
    const id = await open(6, 4);
    expect(await t.db.session.findUniqueOrThrow({ where: { id } })).toMatchObject({ endedAt: null, lastSeq: 4 });
    expect(await verify(id)).toMatchObject({ ok: true, events: 6, headChecked: true });
    // Newer than the checkpoint: deleting them cannot be told from events not written yet.
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq > 4`, id);
    expect(await verify(id)).toMatchObject({ ok: true, events: 4, headChecked: true });
    // The checkpointed head itself and anything before it: missing.
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq >= 3`, id);
    expect(await verify(id)).toMatchObject({ ok: false, events: 2, firstBad: { seq: 3, problem: "missing" } });
    // The head event rewritten (with a consistent fresh hash): its hash no longer matches the checkpoint.
    const other = await open(5, 3);
    const row = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId: other, seq: 3 } });
    const payload = { jsonrpc: "2.0", method: "notifications/progress", params: { i: 33 } };
    const hash = chainHash(row.prevHash, { seq: 3, at: row.at.toISOString(), direction: row.direction, payload });
    await t.db.$executeRawUnsafe(
      `UPDATE "SessionEvent" SET payload = $2::jsonb, raw = $2, hash = $3 WHERE "sessionId" = $1 AND seq = 3`,
      other,
      JSON.stringify(payload),
      hash,
    );
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq > 3`, other);
    expect(await verify(other)).toMatchObject({ ok: false, firstBad: { seq: 3, problem: "altered" } });
    // Once the session ended, a late checkpoint changes nothing: the head stored at the end stays.
    await endSession(t.db, { sessionId: other, reason: "client went away" });
    await storeSessionHead(t.db, { sessionId: other, head: { seq: 1, hash: "x" } });
    expect(await t.db.session.findUniqueOrThrow({ where: { id: other } })).toMatchObject({ lastSeq: 3 });
  });

  it("keeps a checkpointed head when a session ends without its recorder (crash, failed write) and its newest events are gone", async () => {
    const checkpointed = async () => {
      const id = await recordedSession({ events: 5, end: false });
      const head = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId: id, seq: 5 } });
      await storeSessionHead(t.db, { sessionId: id, head: { seq: 5, hash: head.hash } });
      await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq >= 4`, id);
      return id;
    };
    const orphaned = await checkpointed();
    const ended = await checkpointed();
    await endSession(t.db, { sessionId: ended, reason: "recording failed" });
    await endOrphanedSessions(t.db, { reason: "gateway restarted" });
    expect(await t.db.session.findUniqueOrThrow({ where: { id: ended } })).toMatchObject({ endReason: "recording failed" });
    for (const id of [orphaned, ended]) {
      expect(await t.db.session.findUniqueOrThrow({ where: { id } })).toMatchObject({ lastSeq: 5 });
      expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 4, problem: "missing" } });
    }
  });

  it("names an event whose decision or masked annotation was edited", async () => {
    const id = await recordedSession({ events: 2 });
    await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET decision = 'allow', masked = NULL WHERE "sessionId" = $1 AND seq = 3`, id);
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 3, problem: "altered" } });
  });

  it("names a deleted middle event as missing", async () => {
    const id = await recordedSession({ events: 5 });
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq = 2`, id);
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: "missing" } });
  });

  it("names the successor of an event rewritten with a freshly computed hash: the link breaks", async () => {
    const id = await recordedSession({ events: 5 });
    // Rewrite seq 2 with a freshly computed hash over altered contents: its successor's link no longer matches.
    const row = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId: id, seq: 2 } });
    const payload = { jsonrpc: "2.0", id: 2, result: { forged: true } };
    const hash = chainHash(row.prevHash, { seq: 2, at: row.at.toISOString(), direction: row.direction, payload });
    await t.db.$executeRawUnsafe(
      `UPDATE "SessionEvent" SET payload = $2::jsonb, raw = $2, hash = $3 WHERE "sessionId" = $1 AND seq = 2`,
      id,
      JSON.stringify(payload),
      hash,
    );
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 3, problem: "chain-broken" } });
  });

  it("names a deleted newest event as missing (the stored chain head is past the newest row)", async () => {
    const id = await recordedSession({ events: 5 });
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq = 6`, id);
    expect(await verify(id)).toMatchObject({ ok: false, events: 5, firstBad: { seq: 6, problem: "missing" } });
    const other = await recordedSession({ events: 5 });
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq >= 4`, other);
    expect(await verify(other)).toMatchObject({ ok: false, firstBad: { seq: 4, problem: "missing" } });
  });

  it("names an event whose time was edited", async () => {
    const id = await recordedSession({ events: 3 });
    await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET at = at - interval '1 hour' WHERE "sessionId" = $1 AND seq = 2`, id);
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 2, problem: "altered" } });
  });

  it("stores the newest stored event as the head of sessions a crashed gateway left open", async () => {
    const id = await recordedSession({ events: 3, end: false });
    const empty = await recordedSession({ events: 0, end: false });
    expect(await endOrphanedSessions(t.db, { reason: "gateway restarted" })).toBeGreaterThanOrEqual(2);
    expect(await verify(empty)).toMatchObject({ ok: true, events: 0, headChecked: true });
    expect(await verify(id)).toMatchObject({ ok: true, events: 4, headChecked: true });
    await t.db.$executeRawUnsafe(`DELETE FROM "SessionEvent" WHERE "sessionId" = $1 AND seq = 4`, id);
    expect(await verify(id)).toMatchObject({ ok: false, firstBad: { seq: 4, problem: "missing" } });
  });

  it("answers someone else's session like a missing one", async () => {
    const id = await recordedSession({ events: 1 });
    await expect(verify(id, users.carol)).resolves.toMatchObject({ ok: true });
    const { grantId } = await grantAndMint(t.db, { requester: users.bob, approver: users.carol, connection: "everything" });
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const bobs = await startSession(t.db, { grantId, userId: users.bob.id, connectionId: grant.connectionId, transport: "sse" });
    await expect(verify(bobs, users.alice)).rejects.toMatchObject({ code: "NOT_FOUND", message: `No session ${bobs}.` });
  });
});
