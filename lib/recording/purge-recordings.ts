import pg from "pg";
import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db } from "../db/client.ts";
import { GENESIS_HASH } from "../hash.ts";
import type { SessionSummary } from "./summary-schema.ts";
import { sessionSummaryKey, signSessionSummary } from "./verify-purged.ts";
import { verifySessionChain } from "./verify-session.ts";

// Retention: the events of sessions that ended more than RECORDING_RETENTION_DAYS ago are
// deleted; each such session keeps a signed summary of what they were. One replica at a time.

/** Session-level advisory lock held for a whole purge (other locks: 7426001 migrations, 7426002 audit chain). */
export const PURGE_LOCK_KEY = 7426004;

/** Sessions per transaction: each batch deletes their events, stores their summaries and writes one audit event. */
export const PURGE_BATCH_SESSIONS = 20;

export interface PurgeOptions {
  db: Db;
  /** The same database: the advisory lock lives on a connection of its own for the whole purge. */
  databaseUrl: string;
  /** RECORDING_RETENTION_DAYS; 0 (or less) keeps everything. */
  retentionDays: number;
  /** TOLLGATE_SECRET_KEY's bytes: the summaries' HMAC key is derived from it. */
  vaultKey: Uint8Array;
  now?: Date;
  batchSessions?: number;
  /** Stop after this many batches (the next run goes on). */
  maxBatches?: number;
}

export type PurgeResult =
  | { ran: false; reason: "disabled" | "locked" }
  | { ran: true; cutoff: string; sessions: number; events: number; batches: number };

/**
 * Purges old recordings under `pg_try_advisory_lock`: when another replica is purging, returns
 * `{ ran: false, reason: "locked" }` at once.
 */
export async function purgeRecordings(options: PurgeOptions): Promise<PurgeResult> {
  if (!(options.retentionDays > 0)) return { ran: false, reason: "disabled" };
  const lock = new pg.Client({ connectionString: options.databaseUrl });
  await lock.connect();
  try {
    const { rows } = await lock.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [PURGE_LOCK_KEY]);
    if (!rows[0]?.locked) return { ran: false, reason: "locked" };
    try {
      return await purgeLocked(options);
    } finally {
      await lock.query("SELECT pg_advisory_unlock($1)", [PURGE_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    await lock.end().catch(() => undefined);
  }
}

async function purgeLocked(options: PurgeOptions): Promise<PurgeResult & { ran: true }> {
  const { db } = options;
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.retentionDays * 86_400_000);
  const key = sessionSummaryKey(options.vaultKey);
  const batchSize = options.batchSessions ?? PURGE_BATCH_SESSIONS;
  const result = { ran: true as const, cutoff: cutoff.toISOString(), sessions: 0, events: 0, batches: 0 };
  for (;;) {
    if (options.maxBatches !== undefined && result.batches >= options.maxBatches) break;
    const sessions = await db.session.findMany({
      where: { endedAt: { lt: cutoff }, purgedAt: null },
      orderBy: [{ endedAt: "asc" }, { id: "asc" }],
      take: batchSize,
      select: { id: true, lastSeq: true, lastHash: true },
    });
    if (sessions.length === 0) break;
    const purgedAt = new Date();
    // Summaries are read outside the transaction (ended sessions get no new events); the deletion
    // below checks that it removed exactly the events summarised.
    const summaries = await Promise.all(
      sessions.map((session) => summarise(db, { ...session, purgedAt, retentionDays: options.retentionDays })),
    );
    const events = await db.$transaction(
      async (tx) => {
        let deleted = 0;
        for (const summary of summaries) {
          const removed = await tx.sessionEvent.deleteMany({ where: { sessionId: summary.sessionId } });
          await tx.sessionEventText.deleteMany({ where: { sessionId: summary.sessionId } });
          if (removed.count !== summary.events) {
            throw new Error(
              `session ${summary.sessionId}: summarised ${summary.events} events but deleted ${removed.count}; batch rolled back`,
            );
          }
          deleted += removed.count;
          await tx.session.update({
            where: { id: summary.sessionId },
            data: { purgedAt, summary: summary as object, summarySignature: signSessionSummary(key, summary) },
          });
        }
        await writeAuditEvent(tx, {
          actor: null,
          action: "recordings.purged",
          targetType: "Session",
          targetId: summaries.length === 1 ? summaries[0]!.sessionId : `${summaries.length} sessions`,
          data: {
            sessions: summaries.length,
            sessionIds: summaries.map((summary) => summary.sessionId),
            events: deleted,
            cutoff: cutoff.toISOString(),
            retentionDays: options.retentionDays,
          },
        });
        return deleted;
      },
      { timeout: 120_000, maxWait: 10_000 },
    );
    result.sessions += summaries.length;
    result.events += events;
    result.batches++;
    if (sessions.length < batchSize) break;
  }
  return result;
}

type CountRow = { name: string; count: number };

/** What a session's events were: counts by SQL aggregation (no event is loaded), and its chain checked. */
export async function summarise(
  db: Db,
  session: { id: string; lastSeq: number | null; lastHash: string | null; purgedAt: Date; retentionDays: number },
): Promise<SessionSummary> {
  const [stats] = await db.$queryRaw<
    Array<{ events: number; firstSeq: number | null; lastSeq: number | null; firstAt: Date | null; lastAt: Date | null }>
  >`
    SELECT count(*)::int AS events, min(seq) AS "firstSeq", max(seq) AS "lastSeq", min("at") AS "firstAt", max("at") AS "lastAt"
    FROM "SessionEvent" WHERE "sessionId" = ${session.id}`;
  const head = await db.sessionEvent.findFirst({ where: { sessionId: session.id }, orderBy: { seq: "desc" }, select: { hash: true } });
  const tools = await db.$queryRaw<CountRow[]>`
    SELECT tool AS name, count(*)::int AS count FROM "SessionEvent"
    WHERE "sessionId" = ${session.id} AND tool IS NOT NULL AND direction = 'CLIENT_TO_UPSTREAM' GROUP BY tool`;
  const decisions = await db.$queryRaw<CountRow[]>`
    SELECT decision AS name, count(*)::int AS count FROM "SessionEvent"
    WHERE "sessionId" = ${session.id} AND decision IS NOT NULL GROUP BY decision`;
  const masked = await db.$queryRaw<CountRow[]>`
    SELECT m.key AS name, sum((m.value)::numeric)::int AS count
    FROM "SessionEvent" e, jsonb_each_text(CASE WHEN jsonb_typeof(e.masked) = 'object' THEN e.masked ELSE '{}'::jsonb END) m
    WHERE e."sessionId" = ${session.id} AND e.masked IS NOT NULL AND m.value ~ '^[0-9]+$' GROUP BY m.key`;
  const verification = await verifySessionChain(db, { sessionId: session.id, lastSeq: session.lastSeq, lastHash: session.lastHash });
  const byName = (rows: CountRow[]) =>
    Object.fromEntries([...rows].sort((a, b) => (a.name < b.name ? -1 : 1)).map((row) => [row.name, row.count]));
  return {
    v: 1,
    sessionId: session.id,
    events: stats?.events ?? 0,
    firstSeq: stats?.firstSeq ?? null,
    lastSeq: stats?.lastSeq ?? null,
    lastHash: head?.hash ?? GENESIS_HASH,
    firstAt: stats?.firstAt ? new Date(stats.firstAt).toISOString() : null,
    lastAt: stats?.lastAt ? new Date(stats.lastAt).toISOString() : null,
    tools: byName(tools),
    decisions: byName(decisions),
    masked: byName(masked),
    verified: {
      ok: verification.ok,
      ...(verification.firstBad ? { firstBad: { seq: verification.firstBad.seq, problem: verification.firstBad.problem } } : {}),
    },
    retentionDays: session.retentionDays,
    purgedAt: session.purgedAt.toISOString(),
  };
}
