import type { Db } from "../db/client.ts";

/**
 * Fills in the search copy (SessionEventText) of events whose text the recorder committed but did
 * not get to copy: the gateway stopped between the two, or the copy failed and was given up. The
 * recorder copies a session's events in order, so what can be missing is a session's tail: events
 * above the highest seq already copied. Looks at sessions still open or ended since `since`
 * (the gateway's housekeeping: the last few minutes; at start: the last day). Returns how many rows
 * it added.
 */
export async function indexMissingSearchText(db: Db, options: { since: Date }): Promise<number> {
  return db.$executeRaw`
    INSERT INTO "SessionEventText" ("sessionId", "seq", "raw")
    SELECT e."sessionId", e."seq", e."raw"
    FROM "Session" s
    CROSS JOIN LATERAL (SELECT coalesce(max(x."seq"), 0) AS top FROM "SessionEventText" x WHERE x."sessionId" = s.id) copied
    JOIN "SessionEvent" e ON e."sessionId" = s.id AND e."seq" > copied.top
    WHERE (s."endedAt" IS NULL OR s."endedAt" >= (${options.since.toISOString()}::timestamptz AT TIME ZONE 'UTC')) AND s."purgedAt" IS NULL AND e."raw" IS NOT NULL
    ON CONFLICT DO NOTHING`;
}
