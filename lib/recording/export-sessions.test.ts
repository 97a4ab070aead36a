import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { EventWriter } from "./event-writer.ts";
import { MAX_EXPORT_SESSIONS } from "./export-schema.ts";
import {
  EXPORT_PAGE,
  exportHeaders,
  exportSession,
  exportSessions,
  exportStream,
  type SessionExport,
  transcriptText,
} from "./export-sessions.ts";
import { purgeRecordings } from "./purge-recordings.ts";
import { SessionRecorder } from "./session-recorder.ts";
import { endSession, startSession } from "./sessions.ts";

let t: TestDatabase;
let users: { alice: Actor; bob: Actor; carol: Actor };
const vaultKey = randomBytes(32);

/** The request's text as the client sent it: keys out of order, one that JSON.parse would move to the front ("2"). */
const REQUEST_TEXT =
  '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo","arguments":{"zeta":1,"2":"two","alpha":"hi"}},"id":1}';

async function recordedSession(owner: Actor, options: { end?: boolean } = {}): Promise<string> {
  const { grantId } = await grantAndMint(t.db, {
    requester: owner,
    approver: owner === users.bob ? users.carol : users.bob,
    connection: "everything",
  });
  const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
  const id = await startSession(t.db, {
    grantId,
    userId: owner.id,
    connectionId: grant.connectionId,
    transport: "streamable-http",
    protocolVersion: "2025-06-18",
    clientInfo: { name: "test-client", version: "1.2.3" },
  });
  const writer = EventWriter.connect(t.url);
  const recorder = new SessionRecorder(writer, id);
  await recorder.record("CLIENT_TO_UPSTREAM", JSON.parse(REQUEST_TEXT));
  await recorder.record(
    "UPSTREAM_TO_CLIENT",
    { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "hi [email]" }] } },
    { masked: { email: 2 } },
  );
  await recorder.record(
    "CLIENT_TO_UPSTREAM",
    { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "drop", arguments: {} } },
    { decision: "deny" },
  );
  await recorder.record("GATEWAY_TO_CLIENT", { jsonrpc: "2.0", id: 2, error: { code: -32001, message: "Denied by rule no-drop" } });
  await writer.close();
  // The message as the client sent it (same content as the payload, keys in another order).
  await t.db.$executeRawUnsafe(`UPDATE "SessionEvent" SET raw = $2 WHERE "sessionId" = $1 AND seq = 1`, id, REQUEST_TEXT);
  if (options.end !== false) await endSession(t.db, { sessionId: id, reason: "client ended session", head: recorder.head });
  return id;
}

async function text(result: SessionExport): Promise<string> {
  let out = "";
  for await (const chunk of result.body) out += chunk;
  return out;
}

const auditOf = (targetId: string) => t.db.auditEvent.findMany({ where: { action: "session.exported", targetId }, orderBy: { id: "asc" } });

beforeAll(async () => {
  t = await createTestDatabase();
  users = await seedDemo(t.db);
});
afterAll(async () => t.drop());

describe("exporting one session", () => {
  it("as JSONL: one parseable line per event, seqs contiguous, the message as sent (key order kept); an audit event", async () => {
    const id = await recordedSession(users.alice);
    const result = await exportSession(t.db, { actor: users.alice, sessionId: id, format: "jsonl", vaultKey });
    expect(result).toMatchObject({ filename: `tollgate-session-${id}.jsonl`, sessions: 1, events: 4, capped: false });
    expect(exportHeaders(result)).toMatchObject({
      "content-type": "application/x-ndjson; charset=utf-8",
      "content-disposition": `attachment; filename="tollgate-session-${id}.jsonl"`,
    });
    // Audited before a byte of the body was read.
    const audit = await auditOf(id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: users.alice.id, targetType: "Session" });
    expect(audit[0]!.data).toEqual({ format: "jsonl", sessions: 1, events: 4 });

    const body = await text(result);
    const lines = body.trimEnd().split("\n");
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3, 4]);
    expect(Object.keys(events[0]!)).toEqual([
      "seq",
      "at",
      "direction",
      "kind",
      "method",
      "tool",
      "rpcId",
      "decision",
      "masked",
      "replyToSeq",
      "latencyMs",
      "hash",
      "message",
    ]);
    expect(lines[0]!.endsWith(`"message":${REQUEST_TEXT}}`)).toBe(true);
    expect(events[0]).toMatchObject({ direction: "CLIENT_TO_UPSTREAM", method: "tools/call", tool: "echo", rpcId: "1" });
    expect(events[1]).toMatchObject({ kind: "response", masked: { email: 2 } });
    expect(events[2]).toMatchObject({ decision: "deny", tool: "drop" });
    const stored = await t.db.sessionEvent.findMany({ where: { sessionId: id }, orderBy: { seq: "asc" } });
    expect(events.map((event) => event.hash)).toEqual(stored.map((row) => row.hash));
  });

  it("as a transcript: a header naming the session, the zone and the verification; one line per event", async () => {
    const id = await recordedSession(users.alice);
    const result = await exportSession(t.db, { actor: users.carol, sessionId: id, format: "transcript", vaultKey });
    expect(exportHeaders(result)["content-type"]).toBe("text/plain; charset=utf-8");
    expect(result.filename).toBe(`tollgate-session-${id}.txt`);
    const body = await text(result);
    expect(body).toContain("All times are UTC.");
    expect(body).toContain(`Session       ${id}`);
    expect(body).toContain("User          alice@example.com (Alice Requester)");
    expect(body).toContain("Connection    everything");
    expect(body).toContain("Client        test-client 1.2.3 · streamable-http · MCP 2025-06-18");
    expect(body).toContain("End reason    client ended session");
    expect(body).toContain("Events        4");
    expect(body).toContain("Verification  ok: 4 events match their hashes and the stored chain head");
    expect(body).toMatch(/\n\d\d:\d\d:\d\d\.\d{3} UTC {2}#1 {2}→ tools\/call echo \{"2":"two","zeta":1,"alpha":"hi"\} {2}\[id 1\]\n/);
    expect(body).toMatch(/#2 {2}← result( \([\d.]+ ms, reply to #1\))? \{"content":.*\} {2}\[masked 2 email\]\n/);
    expect(body).toMatch(/#3 {2}→ tools\/call drop \{\} {2}\[id 2\] {2}\[DENIED by policy\]\n/);
    expect(body).toMatch(/#4 {2}← gateway: error( \([\d.]+ ms, reply to #3\))? -32001 Denied by rule no-drop\n/);
    expect((await auditOf(id))[0]).toMatchObject({ actorId: users.carol.id });
  });

  it("refuses someone else's session to a requester exactly like a missing one, and audits nothing", async () => {
    const bobs = await recordedSession(users.bob);
    await expect(exportSession(t.db, { actor: users.alice, sessionId: bobs, format: "jsonl", vaultKey })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(exportSession(t.db, { actor: users.alice, sessionId: "nope", format: "jsonl", vaultKey })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await auditOf(bobs)).toEqual([]);
  });

  it("streams a long session page by page, as bytes", async () => {
    const id = await recordedSession(users.alice);
    const count = EXPORT_PAGE * 2 + 5;
    await t.db.sessionEvent.createMany({
      data: Array.from({ length: count }, (_, i) => ({
        sessionId: id,
        seq: 5 + i,
        direction: "CLIENT_TO_UPSTREAM" as const,
        kind: "notification",
        method: "notifications/progress",
        payload: { jsonrpc: "2.0", method: "notifications/progress", params: { n: i } },
        raw: JSON.stringify({ jsonrpc: "2.0", method: "notifications/progress", params: { n: i } }),
        prevHash: "x",
        hash: `h${i}`,
      })),
    });
    const result = await exportSession(t.db, { actor: users.alice, sessionId: id, format: "jsonl", vaultKey });
    const reader = exportStream(result.body).getReader();
    const decoder = new TextDecoder();
    let body = "";
    let chunks = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks++;
      body += decoder.decode(value, { stream: true });
    }
    const seqs = body
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { seq: number }).seq);
    expect(seqs).toEqual(Array.from({ length: count + 4 }, (_, i) => i + 1));
    expect(chunks).toBe(3);
  });

  it("shows a purged session's signed summary in the transcript header", async () => {
    const id = await recordedSession(users.alice);
    await t.db.session.update({ where: { id }, data: { endedAt: new Date(Date.now() - 10 * 86_400_000) } });
    await purgeRecordings({ db: t.db, databaseUrl: t.url, retentionDays: 5, vaultKey });
    const body = await text(await exportSession(t.db, { actor: users.alice, sessionId: id, format: "transcript", vaultKey }));
    expect(body).toContain("Events        0");
    expect(body).toContain("Verification  ok: events purged; signed summary valid; chain verified when purged");
    expect(body).toMatch(/Purged {8}.* UTC by retention/);
    expect(body).toContain("  tools       drop ×1, echo ×1");
    expect(body).toContain("  masked      email ×2");
  });
});

describe("a transcript line", () => {
  const row = {
    seq: 2,
    at: new Date("2026-11-22T12:03:07.161Z"),
    direction: "UPSTREAM_TO_CLIENT",
    kind: "response",
    rpcId: "1",
    method: null,
    tool: null,
    payload: {},
    raw: '{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}',
    decision: null,
    masked: null,
    replyToSeq: 1,
    latencyMs: 38.25,
    hash: "h",
  };

  it("shows a response's latency and request, an error's code and message, a held call's outcome", () => {
    expect(transcriptText(row)).toBe('← result (38.3 ms, reply to #1) {"content":[{"type":"text","text":"hi"}]}');
    expect(
      transcriptText({ ...row, kind: "error", raw: '{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}' }),
    ).toBe("← error (38.3 ms, reply to #1) -32601 Method not found");
    expect(
      transcriptText({
        ...row,
        direction: "GATEWAY_TO_UPSTREAM",
        kind: "request",
        method: "tools/call",
        tool: "deploy",
        replyToSeq: null,
        latencyMs: null,
        raw: '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"deploy","arguments":{"env":"prod"}}}',
        rpcId: "7",
        decision: "approved",
      }),
    ).toBe('→ gateway: tools/call deploy {"env":"prod"}  [id 7]  [held call APPROVED]');
    expect(transcriptText({ ...row, raw: JSON.stringify({ result: "x".repeat(3000) }) })).toMatch(/… \(1002 more characters\)$/);
  });
});

describe("exporting a filtered set", () => {
  it("as JSONL: an export line, then per session a session line and its events; requesters get only their own", async () => {
    const mine = await recordedSession(users.alice);
    const bobs = await recordedSession(users.bob);
    const result = await exportSessions(t.db, { actor: users.alice, filters: { connection: "everything" }, format: "jsonl", vaultKey });
    const lines = (await text(result))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, Record<string, unknown>>);
    expect(lines[0]!.export).toMatchObject({ filters: { connection: "everything" }, capped: false, limit: MAX_EXPORT_SESSIONS });
    const sessions = lines.filter((line) => line.session).map((line) => line.session!);
    expect(sessions.map((session) => session.id)).toContain(mine);
    expect(sessions.map((session) => session.id)).not.toContain(bobs);
    expect(sessions.every((session) => (session.user as { email: string }).email === "alice@example.com")).toBe(true);
    const index = lines.findIndex((line) => line.session?.id === mine);
    expect(lines[index]!.session).toMatchObject({ eventCount: 4, verification: { ok: true } });
    expect(lines.slice(index + 1, index + 5).map((line) => [line.sessionId, line.seq])).toEqual([
      [mine, 1],
      [mine, 2],
      [mine, 3],
      [mine, 4],
    ]);
    expect(result.sessions).toBe(sessions.length);
    const [audit] = await t.db.auditEvent.findMany({
      where: { action: "session.exported", actorId: users.alice.id },
      orderBy: { id: "desc" },
      take: 1,
    });
    expect(audit!.data).toMatchObject({ format: "jsonl", filters: { connection: "everything" }, sessions: sessions.length, capped: false });
    expect((audit!.data as { sessionIds: string[] }).sessionIds).not.toContain(bobs);
  });

  it(`caps the set at ${MAX_EXPORT_SESSIONS} sessions and says so`, async () => {
    const { grantId } = await grantAndMint(t.db, { requester: users.bob, approver: users.carol, connection: "everything" });
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    await t.db.session.createMany({
      data: Array.from({ length: MAX_EXPORT_SESSIONS + 1 }, () => ({
        grantId,
        userId: users.bob.id,
        connectionId: grant.connectionId,
        transport: "bulk-test",
      })),
    });
    const result = await exportSessions(t.db, { actor: users.carol, filters: { user: "BOB@example.com" }, format: "transcript", vaultKey });
    expect(result).toMatchObject({ sessions: MAX_EXPORT_SESSIONS, capped: true });
    expect(exportHeaders(result)).toMatchObject({
      "x-tollgate-export-capped": "true",
      "x-tollgate-export-sessions": String(MAX_EXPORT_SESSIONS),
    });
    const body = await text(result);
    expect(body.split("\n")[0]).toBe(
      `Tollgate sessions export: ${MAX_EXPORT_SESSIONS} sessions, newest first; capped at ${MAX_EXPORT_SESSIONS}: more sessions matched (narrow the filters)`,
    );
    expect(body).toContain("Filters: user=BOB@example.com");
    expect(body.match(/^Tollgate session transcript/gm)).toHaveLength(MAX_EXPORT_SESSIONS);
  });
});
