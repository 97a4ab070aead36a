import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { EventWriter, type Queryable } from "./event-writer.ts";
import { indexMissingSearchText } from "./index-missing-search-text.ts";
import { SessionRecorder } from "./session-recorder.ts";
import { startSession } from "./sessions.ts";

let t: TestDatabase;
let pool: pg.Pool;
let sessionId: string;
let newSession: () => Promise<string>;

beforeAll(async () => {
  t = await createTestDatabase();
  pool = new pg.Pool({ connectionString: t.url, max: 2 });
  const users = await seedDemo(t.db);
  const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
  const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
  newSession = () =>
    startSession(t.db, { grantId, userId: users.alice.id, connectionId: grant.connectionId, transport: "streamable-http" });
  sessionId = await newSession();
});
afterAll(async () => {
  await pool.end();
  await t.drop();
});

describe("EventWriter (group commit)", () => {
  it("commits concurrent writes in order, many per statement, and resolves each only after commit", async () => {
    let statements = 0;
    const names = new Set<string>();
    const counting: Queryable = {
      query: (query) => {
        statements++;
        names.add(query.name);
        return pool.query(query);
      },
      end: async () => undefined,
    };
    const recorder = new SessionRecorder(new EventWriter(counting), sessionId);
    const writes = Array.from({ length: 200 }, (_, i) =>
      recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: i, method: "tools/call", params: { name: "echo", arguments: { i } } }),
    );
    await writes[0];
    expect(await t.db.sessionEvent.count({ where: { sessionId, seq: 1 } })).toBe(1);
    await Promise.all(writes);
    const rows = await t.db.sessionEvent.findMany({ where: { sessionId }, orderBy: { seq: "asc" } });
    expect(rows).toHaveLength(200);
    expect(rows.map((row) => (row.payload as { id: number }).id)).toEqual(rows.map((_, i) => i));
    expect(rows.slice(1).every((row, i) => row.prevHash === rows[i]!.hash)).toBe(true);
    // Batched rows keep the text as sent too (jsonb would put "id" first).
    expect(rows[5]!.raw).toBe('{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"i":5}}}');
    expect(statements).toBeLessThan(20);
    // Named prepared statements only: the INSERT, the INSERT that also announces (NOTIFY), the announcement alone.
    expect(
      [...names].every((name) =>
        [
          "tollgate_session_events_insert",
          "tollgate_session_events_insert_notify",
          "tollgate_session_events_insert_one",
          "tollgate_session_events_insert_one_notify",
          "tollgate_session_events_notify",
          "tollgate_session_event_text_insert",
        ].includes(name),
      ),
    ).toBe(true);
  });

  it("fails closed: after a failed write the recorder refuses everything that follows", async () => {
    let fail = true;
    const flaky: Queryable = {
      query: (query) => (fail ? Promise.reject(new Error("disk full")) : pool.query(query)),
      end: async () => undefined,
    };
    const recorder = new SessionRecorder(new EventWriter(flaky), sessionId);
    await expect(recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 1, method: "ping" })).rejects.toThrow(/disk full/);
    fail = false;
    await expect(recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 2, method: "ping" })).rejects.toThrow(/failed earlier/);
    expect(recorder.failed).toBe(true);
  });

  it("reports its backlog (queued rows plus the batch being committed) for the gateway's queue depth gauge", async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: Queryable = {
      query: async (query) => {
        await held;
        return pool.query(query);
      },
      end: async () => undefined,
    };
    const writer = new EventWriter(slow);
    const recorder = new SessionRecorder(writer, await newSession());
    expect(writer.backlog).toBe(0);
    const writes = Array.from({ length: 5 }, (_, i) => recorder.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: i, method: "ping" }));
    // The first row went out alone; the other four wait for it.
    expect(writer.backlog).toBe(5);
    release();
    await Promise.all(writes);
    expect(writer.backlog).toBe(0);
  });

  it("stores each message as sent (raw text, key order kept) besides its jsonb copy, and the pairing", async () => {
    const id = await newSession();
    const recorder = new SessionRecorder(new EventWriter(pool), id);
    const sent = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"zeta":1,"alpha":2}}}';
    await recorder.record("CLIENT_TO_UPSTREAM", JSON.parse(sent));
    await recorder.record("UPSTREAM_TO_CLIENT", { result: { b: 1, a: 2 }, id: 1, jsonrpc: "2.0" });
    const rows = await t.db.sessionEvent.findMany({ where: { sessionId: id }, orderBy: { seq: "asc" } });
    expect(rows.map((row) => row.raw)).toEqual([sent, '{"result":{"b":1,"a":2},"id":1,"jsonrpc":"2.0"}']);
    // jsonb sorts keys (shorter first): only raw keeps the order.
    expect(Object.keys(rows[0]!.payload as object)).toEqual(["id", "method", "params", "jsonrpc"]);
    expect(rows.map((row) => row.replyToSeq)).toEqual([null, 1]);
    expect(rows[1]!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("copies each committed message's text for search after its commit, which never waits for it; the sweep fills in a copy that failed", async () => {
    const id = await newSession();
    let releaseText = () => {};
    const textHeld = new Promise<void>((resolve) => {
      releaseText = resolve;
    });
    let failText = false;
    const texts: Queryable = {
      query: async (query) => {
        if (query.name === "tollgate_session_event_text_insert") {
          if (failText) throw new Error("search copy refused");
          await textHeld;
        }
        return pool.query(query);
      },
      end: async () => undefined,
    };
    const copied = async (sessionId: string) =>
      (await t.db.sessionEventText.findMany({ where: { sessionId }, orderBy: { seq: "asc" } })).map((row) => [row.seq, row.raw]);
    const writer = new EventWriter(texts);
    const recorder = new SessionRecorder(writer, id);
    // The commit resolves while its search copy is still held back.
    await recorder.record("CLIENT_TO_UPSTREAM", {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "echo", arguments: { zeta: 1, alpha: 2 } },
    });
    expect(await copied(id)).toEqual([]);
    releaseText();
    await writer.textsWritten();
    expect(await copied(id)).toEqual([
      [1, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"zeta":1,"alpha":2}}}'],
    ]);

    // A copy that fails leaves the event committed; the sweep (the gateway's housekeeping) fills it in.
    failText = true;
    const errors: string[] = [];
    const failing = new EventWriter(texts, 500, { onTextError: (error) => errors.push(error.message) });
    const other = new SessionRecorder(failing, await newSession());
    await other.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 7, method: "ping" });
    await expect.poll(() => errors).toEqual(["search copy refused"]);
    await failing.close();
    expect(await copied(other.sessionId)).toEqual([]);
    expect(await indexMissingSearchText(t.db, { since: new Date(Date.now() - 60_000) })).toBeGreaterThanOrEqual(1);
    expect(await copied(other.sessionId)).toEqual([[1, '{"jsonrpc":"2.0","id":7,"method":"ping"}']]);
  });

  it("notifies live tails of commits: in the INSERT after a quiet spell, and a burst's sessions together (newest seq each) when the window ends", async () => {
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    const heard: string[] = [];
    const mine: string[] = [];
    listener.on("notification", (message) => {
      // Other tests' writers announce their sessions too: keep this test's two.
      const payload = message.payload ?? "";
      if (message.channel === LIVE_CHANNELS.sessionEvents && mine.some((id) => payload.startsWith(`${id}:`))) heard.push(payload);
    });
    await listener.query(`LISTEN ${LIVE_CHANNELS.sessionEvents}`);
    try {
      const statements: string[] = [];
      const counting: Queryable = {
        query: (query) => {
          // The search copies go on beside the commits: this test is about the commits' NOTIFY.
          if (query.name !== "tollgate_session_event_text_insert") statements.push(query.name);
          return pool.query(query);
        },
        end: async () => undefined,
      };
      // A long window: what commits after the first announcement waits for it to end (here: close()).
      const writer = new EventWriter(counting, 500, { notifyEveryMs: 60_000 });
      const [a, b] = [await newSession(), await newSession()];
      mine.push(a, b);
      const ra = new SessionRecorder(writer, a);
      const rb = new SessionRecorder(writer, b);
      // The first write commits alone (a one-row INSERT), announced in it; the next five share one batch across both sessions.
      const writes = [ra.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 0, method: "ping" })];
      for (let i = 1; i <= 5; i++) writes.push((i % 2 ? rb : ra).record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: i, method: "ping" }));
      await Promise.all(writes);
      await expect.poll(() => heard).toEqual([`${a}:1`]);
      expect(statements).toEqual(["tollgate_session_events_insert_one_notify", "tollgate_session_events_insert"]);
      await writer.close();
      // The burst: both sessions in one NOTIFY statement, each with its newest seq.
      await expect.poll(() => heard.length).toBe(3);
      expect(heard.slice(1).sort()).toEqual([`${a}:3`, `${b}:3`].sort());
      expect(statements.at(-1)).toBe("tollgate_session_events_notify");

      // No window: every commit carries its NOTIFY.
      const eager = new EventWriter(counting, 500, { notifyEveryMs: 0 });
      const c = await newSession();
      mine.push(c);
      const rc = new SessionRecorder(eager, c);
      statements.length = 0;
      for (let i = 0; i < 3; i++) await rc.record("CLIENT_TO_UPSTREAM", { jsonrpc: "2.0", id: 10 + i, method: "ping" });
      expect(statements).toEqual(Array(3).fill("tollgate_session_events_insert_one_notify"));
      await expect.poll(() => heard.slice(3)).toEqual([`${c}:1`, `${c}:2`, `${c}:3`]);
    } finally {
      await listener.end();
    }
  });
});
