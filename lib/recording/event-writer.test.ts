import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { EventWriter, type Queryable } from "./event-writer.ts";
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
    expect(statements).toBeLessThan(20);
    // One named prepared statement for every batch.
    expect([...names]).toEqual(["tollgate_session_events_insert"]);
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
});
