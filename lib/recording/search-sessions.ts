import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { Prisma } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";
import {
  decodeSessionCursor,
  encodeSessionCursor,
  SESSION_PAGE_DEFAULT,
  SESSION_PAGE_MAX,
  type SessionFilters,
  type SessionListItem,
  type SessionListPage,
} from "./session-filters.ts";
import { presentSession, sessionInclude } from "./sessions.ts";

// The sessions list: filters, free-text search in recorded payloads, keyset paging. One SQL
// query (parameterised fragments, never concatenated text) picks a page of ids; Prisma then loads
// those sessions in the shape every other session answer has.

export type { SessionListItem, SessionListPage };

export interface SearchSessionsOptions extends SessionFilters {
  actor: Actor;
  /** The previous page's nextCursor. */
  cursor?: string;
  /** Page size: default 50, at most 200. */
  limit?: number;
}

/** LIKE's metacharacters (`%`, `_` and the escape `\`, Postgres' default) match themselves. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/**
 * The ILIKE pattern finding `q` in stored messages: `raw` is JSON text, where a backslash, a quote
 * or a control character inside a string is escaped, so the needle is escaped the same way first.
 */
export function payloadPattern(q: string): string {
  return `%${escapeLike(JSON.stringify(q).slice(1, -1))}%`;
}

/** An ISO instant as the `timestamp(3)` (UTC, no zone) Prisma stores: independent of the connection's TimeZone. */
function utc(iso: string): Prisma.Sql {
  return Prisma.sql`(${iso}::timestamptz AT TIME ZONE 'UTC')`;
}

/** The WHERE conditions (AND) for the filters and the actor's visibility; `s` is "Session". */
export function sessionConditions(options: SearchSessionsOptions): Prisma.Sql[] {
  const conditions: Prisma.Sql[] = [];
  // Requesters see their own sessions only: ownership is part of the query, so nothing else leaks.
  if (!can(options.actor, "sessions:read:all")) conditions.push(Prisma.sql`s."userId" = ${options.actor.id}`);
  if (options.user) {
    conditions.push(
      Prisma.sql`s."userId" IN (SELECT u.id FROM "User" u WHERE lower(u.email) = lower(${options.user}) OR u.id = ${options.user})`,
    );
  }
  if (options.connection) {
    conditions.push(Prisma.sql`s."connectionId" IN (SELECT c.id FROM "Connection" c WHERE c.slug = ${options.connection})`);
  }
  if (options.tool) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "SessionEvent" e WHERE e.tool = ${options.tool} AND e."sessionId" = s.id)`);
  }
  if (options.decision) {
    conditions.push(Prisma.sql`EXISTS (SELECT 1 FROM "SessionEvent" e WHERE e.decision = ${options.decision} AND e."sessionId" = s.id)`);
  }
  if (options.status === "live") conditions.push(Prisma.sql`s."endedAt" IS NULL`);
  if (options.status === "ended") conditions.push(Prisma.sql`s."endedAt" IS NOT NULL AND s."purgedAt" IS NULL`);
  if (options.status === "purged") conditions.push(Prisma.sql`s."purgedAt" IS NOT NULL`);
  if (options.from) conditions.push(Prisma.sql`s."startedAt" >= ${utc(options.from)}`);
  if (options.to) conditions.push(Prisma.sql`s."startedAt" < ${utc(options.to)}`);
  if (options.q) {
    // Served by the pg_trgm GIN index "SessionEventText_raw_idx" (ILIKE with a pattern of 3+ characters):
    // the search copy of each event's text, written within about 50 ms of its commit.
    conditions.push(
      Prisma.sql`EXISTS (SELECT 1 FROM "SessionEventText" x WHERE x."sessionId" = s.id AND x.raw ILIKE ${payloadPattern(options.q)})`,
    );
  }
  return conditions;
}

/** The query that picks one page of session ids, newest first (exported for EXPLAIN in tests). */
export function sessionPageQuery(options: SearchSessionsOptions): Prisma.Sql {
  const limit = pageSize(options.limit);
  const conditions = sessionConditions(options);
  if (options.cursor !== undefined) {
    const cursor = decodeSessionCursor(options.cursor);
    if (!cursor) throw new AppError("BAD_REQUEST", "cursor: must be the nextCursor of the previous page.", { field: "cursor" });
    conditions.push(Prisma.sql`(s."startedAt", s.id) < (${utc(cursor.startedAt.toISOString())}, ${cursor.id})`);
  }
  const where = conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  // startedAt is a UTC timestamp(3): spelled as the ISO instant the cursor carries.
  return Prisma.sql`SELECT s.id, to_char(s."startedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "startedAt" FROM "Session" s ${where} ORDER BY s."startedAt" DESC, s.id DESC LIMIT ${limit + 1}`;
}

function pageSize(limit: number | undefined): number {
  const size = limit ?? SESSION_PAGE_DEFAULT;
  if (!Number.isInteger(size) || size < 1 || size > SESSION_PAGE_MAX) {
    throw new AppError("BAD_REQUEST", `limit: must be a whole number from 1 to ${SESSION_PAGE_MAX}.`, { field: "limit" });
  }
  return size;
}

/**
 * Sessions the actor may see that match every filter given, newest first, one page at a time:
 * pass `nextCursor` back as `cursor` until it is null.
 */
export async function searchSessions(db: Db, options: SearchSessionsOptions): Promise<SessionListPage> {
  const limit = pageSize(options.limit);
  const picked = await db.$queryRaw<Array<{ id: string; startedAt: string }>>(sessionPageQuery(options));
  const ids = picked.slice(0, limit).map((row) => row.id);
  if (ids.length === 0) return { sessions: [], nextCursor: null };

  const rows = await db.session.findMany({ where: { id: { in: ids } }, include: sessionInclude });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const matches = options.q ? await countMatches(db, ids, options.q) : null;
  // A session deleted between the two queries is left out; the order is the first query's.
  const sessions = ids.flatMap((id): SessionListItem[] => {
    const row = byId.get(id);
    if (!row) return [];
    return [
      {
        ...presentSession(row),
        purgedAt: row.purgedAt?.toISOString() ?? null,
        ...(matches ? { matches: matches.get(id) ?? 0 } : {}),
      },
    ];
  });
  const last = picked[limit - 1];
  const nextCursor = picked.length > limit && last ? encodeSessionCursor({ startedAt: new Date(last.startedAt), id: last.id }) : null;
  return { sessions, nextCursor };
}

/** How many events of each session contain `q`. */
async function countMatches(db: Db, ids: string[], q: string): Promise<Map<string, number>> {
  const rows = await db.$queryRaw<Array<{ sessionId: string; matches: number }>>`
    SELECT x."sessionId", count(*)::int AS matches FROM "SessionEventText" x
    WHERE x."sessionId" IN (${Prisma.join(ids)}) AND x.raw ILIKE ${payloadPattern(q)}
    GROUP BY x."sessionId"`;
  return new Map(rows.map((row) => [row.sessionId, row.matches]));
}
