import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { Prisma } from "../db/generated/client.ts";
import { type SearchSessionsOptions, searchSessions, sessionPageQuery } from "./search-sessions.ts";

// The sessions list on a generated recording: 1,000 sessions of 100 events each (100,000 events),
// made with generate_series in SQL. Expectations come from plain Prisma queries, not the SQL under
// test. Query times are printed (the README quotes them).

const SESSIONS = 1_000;
const EVENTS_PER_SESSION = 100;
const NEEDLE = "zebra-Quokka-4711";

let t: TestDatabase;
let users: { alice: Actor; bob: Actor; carol: Actor };
const times: Array<[string, number, number]> = [];

type Where = Prisma.SessionWhereInput;

/** Every page, in order, with the page size given. */
async function allPages(options: SearchSessionsOptions): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await searchSessions(t.db, { ...options, cursor });
    pages += 1;
    ids.push(...page.sessions.map((session) => session.id));
    if (!page.nextCursor) return { ids, pages };
    cursor = page.nextCursor;
    expect(pages).toBeLessThan(SESSIONS); // no endless paging
  }
}

async function expected(where: Where): Promise<string[]> {
  const rows = await t.db.session.findMany({ where, orderBy: [{ startedAt: "desc" }, { id: "desc" }], select: { id: true } });
  return rows.map((row) => row.id);
}

/** The first page's time (median of 3 runs, ms), recorded for the printout. */
async function timed(label: string, options: SearchSessionsOptions): Promise<void> {
  const runs: number[] = [];
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    await searchSessions(t.db, options);
    runs.push(performance.now() - started);
  }
  times.push([label, runs.sort((a, b) => a - b)[1]!, await executionTime(options)]);
}

/** Postgres' own execution time of the page query (EXPLAIN ANALYZE), in ms. */
async function executionTime(options: SearchSessionsOptions): Promise<number> {
  const rows = await t.db.$queryRaw<Array<{ "QUERY PLAN": Array<{ "Execution Time": number }> }>>(
    Prisma.sql`EXPLAIN (ANALYZE, FORMAT JSON) ${sessionPageQuery(options)}`,
  );
  return rows[0]!["QUERY PLAN"][0]!["Execution Time"];
}

async function plan(options: SearchSessionsOptions): Promise<string> {
  const rows = await t.db.$queryRaw<Array<{ "QUERY PLAN": string }>>(Prisma.sql`EXPLAIN ${sessionPageQuery(options)}`);
  return rows.map((row) => row["QUERY PLAN"]).join("\n");
}

beforeAll(async () => {
  t = await createTestDatabase();
  users = await seedDemo(t.db);
  const alice = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
  const bob = await grantAndMint(t.db, { requester: users.bob, approver: users.carol, connection: "everything" });
  const everything = await t.db.connection.findUniqueOrThrow({ where: { slug: "everything" } });
  const other = await t.db.connection.create({ data: { slug: "other", name: "Other", transport: "STDIO", command: "true" } });

  const started = performance.now();
  // Sessions: every 4th is Alice's, every 3rd on "other"; two sessions share each start time (so
  // paging must break ties by id); every 10th is live, every 25th (ended) purged.
  await t.db.$executeRaw`
    INSERT INTO "Session" (id, "grantId", "userId", "connectionId", transport, "startedAt", "endedAt", "endReason", "purgedAt")
    SELECT 's' || lpad(i::text, 5, '0'),
      CASE WHEN i % 4 = 0 THEN ${alice.grantId} ELSE ${bob.grantId} END,
      CASE WHEN i % 4 = 0 THEN ${users.alice.id} ELSE ${users.bob.id} END,
      CASE WHEN i % 3 = 0 THEN ${other.id} ELSE ${everything.id} END,
      'streamable-http',
      timestamp '2026-01-01 00:00:00' + (i / 2) * interval '1 hour',
      CASE WHEN i % 10 = 0 THEN NULL ELSE timestamp '2026-01-01 00:30:00' + (i / 2) * interval '1 hour' END,
      CASE WHEN i % 10 = 0 THEN NULL ELSE 'client ended session' END,
      CASE WHEN i % 25 = 1 THEN timestamp '2026-06-01 00:00:00' END
    FROM generate_series(1, ${SESSIONS}) AS i`;
  // Events: odd seq a tools/call request, even seq its response. Session i's first call is to
  // tool rare_<i % 50>; every 37th session has one denied call.
  await t.db.$executeRaw`
    INSERT INTO "SessionEvent" ("sessionId", seq, at, direction, kind, "rpcId", method, tool, payload, raw, decision, "prevHash", hash)
    SELECT 's' || lpad(i::text, 5, '0'), n,
      timestamp '2026-01-01 00:00:00' + (i / 2) * interval '1 hour' + n * interval '1 second',
      (CASE WHEN n % 2 = 1 THEN 'CLIENT_TO_UPSTREAM' ELSE 'UPSTREAM_TO_CLIENT' END)::"Direction",
      CASE WHEN n % 2 = 1 THEN 'request' ELSE 'response' END,
      ((n + 1) / 2)::text,
      CASE WHEN n % 2 = 1 THEN 'tools/call' END,
      CASE WHEN n = 1 THEN 'rare_' || (i % 50) WHEN n % 2 = 1 THEN 'echo' END,
      '{}'::jsonb,
      CASE WHEN n % 2 = 1
        THEN '{"jsonrpc":"2.0","id":' || ((n + 1) / 2) || ',"method":"tools/call","params":{"name":"echo","arguments":{"message":"' || md5(i || '-' || n) || '"}}}'
        ELSE '{"jsonrpc":"2.0","id":' || (n / 2) || ',"result":{"content":[{"type":"text","text":"Echo: ' || md5(i || '-' || (n - 1)) || '"}]}}'
      END,
      CASE WHEN n % 2 = 0 THEN NULL WHEN i % 37 = 0 AND n = 5 THEN 'deny' ELSE 'allow' END,
      'x', 'x'
    FROM generate_series(1, ${SESSIONS}) AS i, generate_series(1, ${EVENTS_PER_SESSION}) AS n`;
  // The needle, in three events of two sessions (one of them Alice's); LIKE metacharacters that
  // must match only themselves; and an old event without raw text.
  await t.db.$executeRaw`UPDATE "SessionEvent" SET raw = replace(raw, '"jsonrpc":"2.0"', '"jsonrpc":"2.0","note":"' || ${NEEDLE} || '"')
    WHERE ("sessionId", seq) IN (('s00100', 3), ('s00100', 4), ('s00777', 9))`;
  await t.db.$executeRaw`UPDATE "SessionEvent" SET raw = '{"text":"price 100%_sale"}' WHERE "sessionId" = 's00010' AND seq = 2`;
  await t.db.$executeRaw`UPDATE "SessionEvent" SET raw = '{"text":"price 100XYsale"}' WHERE "sessionId" = 's00011' AND seq = 2`;
  // Stored as the recorder stores it: JSON text, where a backslash and a quote are escaped.
  await t.db
    .$executeRaw`UPDATE "SessionEvent" SET raw = ${JSON.stringify({ text: 'C:\\temp say "hi"' })} WHERE "sessionId" = 's00012' AND seq = 2`;
  await t.db.$executeRaw`UPDATE "SessionEvent" SET raw = '{"text":"C:Xtemp"}' WHERE "sessionId" = 's00013' AND seq = 2`;
  // The search copy the recorder writes after each commit (and the migration wrote for older events).
  await t.db
    .$executeRaw`INSERT INTO "SessionEventText" ("sessionId", seq, raw) SELECT "sessionId", seq, raw FROM "SessionEvent" WHERE raw IS NOT NULL`;
  await t.db.$executeRaw`ANALYZE "Session"`;
  await t.db.$executeRaw`ANALYZE "SessionEvent"`;
  await t.db.$executeRaw`ANALYZE "SessionEventText"`;
  console.log(`seeded ${SESSIONS} sessions, ${SESSIONS * EVENTS_PER_SESSION} events in ${Math.round(performance.now() - started)} ms`);
}, 120_000);

afterAll(async () => {
  if (times.length) {
    console.log(
      `sessions list on ${SESSIONS * EVENTS_PER_SESSION} events, first page of 50: searchSessions (median of 3) | the page query in Postgres\n${times
        .map(([label, ms, sql]) => `  ${label.padEnd(40)} ${ms.toFixed(1).padStart(6)} ms | ${sql.toFixed(1).padStart(6)} ms`)
        .join("\n")}`,
    );
  }
  await t?.drop();
});

describe("searchSessions filters", () => {
  it("pages through everything exactly once, newest first, ties broken by id", async () => {
    const all = await expected({});
    expect(all).toHaveLength(SESSIONS);
    const { ids, pages } = await allPages({ actor: users.bob, limit: 200 });
    expect(pages).toBe(5);
    expect(ids).toEqual(all);
    const small = await allPages({ actor: users.carol, limit: 37, connection: "other" });
    expect(small.ids).toEqual(await expected({ connection: { slug: "other" } }));
    expect(new Set(small.ids).size).toBe(small.ids.length);
    await timed("no filter", { actor: users.bob });
  });

  it("shows a requester only their own sessions, whatever the filters say", async () => {
    const own = await allPages({ actor: users.alice, limit: 200 });
    expect(own.ids).toEqual(await expected({ userId: users.alice.id }));
    expect(own.ids).toHaveLength(SESSIONS / 4);
    expect((await searchSessions(t.db, { actor: users.alice, user: users.bob.email })).sessions).toEqual([]);
    // The needle is in one of Alice's sessions and one of Bob's: Alice finds only hers.
    expect((await allPages({ actor: users.alice, q: NEEDLE })).ids).toEqual(["s00100"]);
    await timed("requester's own (250 of 1,000)", { actor: users.alice });
  });

  it("filters by user (email, any case, or id) and connection", async () => {
    const aliceOnly = await expected({ userId: users.alice.id });
    expect((await allPages({ actor: users.bob, limit: 200, user: "ALICE@example.com" })).ids).toEqual(aliceOnly);
    expect((await allPages({ actor: users.bob, limit: 200, user: users.alice.id })).ids).toEqual(aliceOnly);
    expect((await allPages({ actor: users.bob, user: "nobody@example.com" })).ids).toEqual([]);
    expect((await allPages({ actor: users.bob, limit: 200, connection: "other" })).ids).toEqual(
      await expected({ connection: { slug: "other" } }),
    );
    await timed("user", { actor: users.bob, user: "alice@example.com" });
    await timed("connection", { actor: users.bob, connection: "other" });
  });

  it("filters by tool and decision (any event of the session)", async () => {
    const rare = await expected({ events: { some: { tool: "rare_7" } } });
    expect(rare).toHaveLength(SESSIONS / 50);
    expect((await allPages({ actor: users.bob, tool: "rare_7" })).ids).toEqual(rare);
    const denied = await expected({ events: { some: { decision: "deny" } } });
    expect(denied).toHaveLength(Math.floor(SESSIONS / 37));
    expect((await allPages({ actor: users.bob, decision: "deny" })).ids).toEqual(denied);
    expect((await allPages({ actor: users.bob, tool: "no-such-tool" })).ids).toEqual([]);
    expect(await plan({ actor: users.bob, tool: "rare_7" })).toContain("SessionEvent_tool_sessionId_idx");
    expect(await plan({ actor: users.bob, decision: "deny" })).toContain("SessionEvent_decision_sessionId_idx");
    await timed("tool (20 sessions)", { actor: users.bob, tool: "rare_7" });
    await timed("tool (every session)", { actor: users.bob, tool: "echo" });
    await timed("decision (27 sessions)", { actor: users.bob, decision: "deny" });
  });

  it("filters by status and time range", async () => {
    const live = await allPages({ actor: users.bob, limit: 200, status: "live" });
    expect(live.ids).toEqual(await expected({ endedAt: null }));
    expect(live.ids).toHaveLength(SESSIONS / 10);
    expect((await allPages({ actor: users.bob, limit: 200, status: "ended" })).ids).toEqual(
      await expected({ endedAt: { not: null }, purgedAt: null }),
    );
    const purged = await allPages({ actor: users.bob, limit: 200, status: "purged" });
    expect(purged.ids).toEqual(await expected({ purgedAt: { not: null } }));
    expect(purged.ids).toHaveLength(SESSIONS / 25);
    const from = "2026-01-05T00:00:00Z";
    const to = "2026-01-07T12:00:00+02:00"; // 10:00 UTC
    const range = await allPages({ actor: users.bob, limit: 200, from, to });
    expect(range.ids).toEqual(await expected({ startedAt: { gte: new Date(from), lt: new Date(to) } }));
    expect(range.ids).toHaveLength(2 * (24 * 2 + 10));
    await timed("status live", { actor: users.bob, status: "live" });
    await timed("from/to (2.4 days)", { actor: users.bob, from, to });
  });

  it("combines filters with AND", async () => {
    const options: SearchSessionsOptions = { actor: users.bob, connection: "other", status: "ended", tool: "echo", limit: 7 };
    expect((await allPages(options)).ids).toEqual(
      await expected({ connection: { slug: "other" }, endedAt: { not: null }, purgedAt: null, events: { some: { tool: "echo" } } }),
    );
    const combined = await allPages({ actor: users.bob, user: "bob@example.com", decision: "deny", from: "2026-01-10T00:00:00Z" });
    expect(combined.ids).toEqual(
      await expected({
        userId: users.bob.id,
        events: { some: { decision: "deny" } },
        startedAt: { gte: new Date("2026-01-10T00:00:00Z") },
      }),
    );
    expect(combined.ids.length).toBeGreaterThan(0);
    await timed("connection + status + tool", options);
  });

  it("refuses a cursor or limit that is not one", async () => {
    await expect(searchSessions(t.db, { actor: users.bob, cursor: "garbage" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "cursor",
    });
    await expect(searchSessions(t.db, { actor: users.bob, limit: 201 })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "limit" });
  });
});

describe("searchSessions free text", () => {
  it("finds a needle in three events of two sessions, in any case, with the match counts", async () => {
    const page = await searchSessions(t.db, { actor: users.bob, q: NEEDLE.toUpperCase() });
    expect(page.sessions.map((session) => [session.id, session.matches])).toEqual([
      ["s00777", 1],
      ["s00100", 2],
    ]);
    expect(page.nextCursor).toBeNull();
    expect((await allPages({ actor: users.bob, q: NEEDLE, status: "live" })).ids).toEqual(["s00100"]);
    expect((await allPages({ actor: users.bob, q: NEEDLE, connection: "other" })).ids).toEqual(["s00777"]);
    expect((await allPages({ actor: users.bob, q: "not-in-any-payload" })).ids).toEqual([]);
    await timed("q: rare text (3 events)", { actor: users.bob, q: NEEDLE });
    await timed("q: no match", { actor: users.bob, q: "not-in-any-payload" });
  });

  it("uses the trigram index", async () => {
    const explained = await plan({ actor: users.bob, q: NEEDLE });
    if (process.env.SHOW_PLANS) {
      for (const q of [NEEDLE, "tools/call", "abc"]) console.log(`q=${q}\n${await plan({ actor: users.bob, q })}`);
      console.log(`requester q=abc\n${await plan({ actor: users.alice, q: "abc" })}`);
    }
    expect(explained).toContain("SessionEventText_raw_idx");
  });

  it("takes LIKE metacharacters literally", async () => {
    expect((await allPages({ actor: users.bob, q: "100%_sale" })).ids).toEqual(["s00010"]);
    expect((await allPages({ actor: users.bob, q: "C:\\temp" })).ids).toEqual(["s00012"]);
    expect((await allPages({ actor: users.bob, q: 'say "hi"' })).ids).toEqual(["s00012"]);
    expect((await allPages({ actor: users.bob, q: "%%%" })).ids).toEqual([]);
    expect((await allPages({ actor: users.bob, q: "___" })).ids).toEqual([]);
  });

  it("searches common text across every session, paging through all", async () => {
    const common = await allPages({ actor: users.bob, limit: 200, q: "tools/call" });
    expect(common.ids).toEqual(await expected({}));
    // A 3-character hex string: many sessions, not all.
    const hits = await allPages({ actor: users.bob, limit: 200, q: "abc" });
    const rows = await t.db.$queryRaw<Array<{ id: string }>>`
      SELECT DISTINCT "sessionId" AS id FROM "SessionEvent" WHERE position('abc' in lower(raw)) > 0`;
    expect([...hits.ids].sort()).toEqual(rows.map((row) => row.id).sort());
    await timed("q: common text (every session)", { actor: users.bob, q: "tools/call" });
    await timed("q: 3 characters (many sessions)", { actor: users.bob, q: "abc" });
    await timed("q + requester", { actor: users.alice, q: "abc" });
  });
});
