import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { EventWriter } from "./event-writer.ts";
import { searchSessions } from "./search-sessions.ts";
import { SessionRecorder } from "./session-recorder.ts";
import { endSession, getSession, listSessionEvents, startSession } from "./sessions.ts";

let t: TestDatabase;
let users: { alice: Actor; bob: Actor; carol: Actor };
let aliceSession: string;
let bobSession: string;

async function recordedSession(owner: Actor, approver: Actor): Promise<string> {
  const { grantId } = await grantAndMint(t.db, { requester: owner, approver, connection: "everything" });
  const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
  const id = await startSession(t.db, {
    grantId,
    userId: owner.id,
    connectionId: grant.connectionId,
    transport: "streamable-http",
    clientInfo: { name: "t", version: "1" },
  });
  const writer = EventWriter.connect(t.url);
  const recorder = new SessionRecorder(writer, id);
  // Issued without awaiting each one: the recorder must still keep them in order.
  await Promise.all([
    recorder.record("CLIENT_TO_UPSTREAM", {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { message: "a" } },
    }),
    recorder.record("UPSTREAM_TO_CLIENT", { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "Echo: a" }] } }),
    recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 9 } }),
  ]);
  await writer.close();
  await endSession(t.db, { sessionId: id, reason: "client ended session" });
  return id;
}

beforeAll(async () => {
  t = await createTestDatabase();
  users = await seedDemo(t.db);
  aliceSession = await recordedSession(users.alice, users.bob);
  bobSession = await recordedSession(users.bob, users.carol);
});
afterAll(async () => t.drop());

describe("session recordings", () => {
  it("keeps messages in order with a verifiable hash chain", async () => {
    const events = await listSessionEvents(t.db, { actor: users.alice, sessionId: aliceSession });
    expect(events.map((e) => [e.seq, e.direction, e.kind, e.method ?? e.rpcId, e.tool])).toEqual([
      [1, "CLIENT_TO_UPSTREAM", "request", "tools/call", "echo"],
      [2, "UPSTREAM_TO_CLIENT", "response", "1", null],
      [3, "CLIENT_TO_UPSTREAM", "notification", "notifications/cancelled", null],
    ]);
    expect(events.map((e) => e.replyToSeq)).toEqual([null, 1, null]);
    const rows = await t.db.sessionEvent.findMany({ where: { sessionId: aliceSession }, orderBy: { seq: "asc" } });
    let prev = GENESIS_HASH;
    for (const row of rows) {
      expect(row.prevHash).toBe(prev);
      // A response's pairing with its request (replyToSeq, latencyMs) is hashed too.
      const paired = row.replyToSeq !== null ? { replyToSeq: row.replyToSeq, latencyMs: row.latencyMs } : {};
      expect(row.hash).toBe(
        chainHash(prev, { seq: row.seq, at: row.at.toISOString(), direction: row.direction, payload: row.payload, ...paired }),
      );
      prev = row.hash;
    }
    expect(await listSessionEvents(t.db, { actor: users.alice, sessionId: aliceSession, afterSeq: 2 })).toHaveLength(1);
  });

  it("shows requesters only their own sessions, approvers and admins everyone's", async () => {
    expect((await searchSessions(t.db, { actor: users.alice })).sessions.map((s) => s.id)).toEqual([aliceSession]);
    expect((await searchSessions(t.db, { actor: users.bob })).sessions.map((s) => s.id).sort()).toEqual([aliceSession, bobSession].sort());
    expect((await searchSessions(t.db, { actor: users.carol })).sessions.map((s) => s.id).sort()).toEqual(
      [aliceSession, bobSession].sort(),
    );
    // Someone else's session is answered exactly like a missing one: its existence does not leak.
    const notFound = (id: string) => ({ code: "NOT_FOUND", message: `No session ${id}.` });
    await expect(getSession(t.db, { actor: users.alice, sessionId: bobSession })).rejects.toMatchObject(notFound(bobSession));
    await expect(listSessionEvents(t.db, { actor: users.alice, sessionId: bobSession })).rejects.toMatchObject(notFound(bobSession));
    await expect(getSession(t.db, { actor: users.alice, sessionId: "nope" })).rejects.toMatchObject(notFound("nope"));
    await expect(listSessionEvents(t.db, { actor: users.alice, sessionId: "nope" })).rejects.toMatchObject(notFound("nope"));
    const session = await getSession(t.db, { actor: users.bob, sessionId: aliceSession });
    expect(session).toMatchObject({ user: { email: "alice@example.com" }, endReason: "client ended session", eventCount: 3 });
  });
});
