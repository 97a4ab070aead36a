import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db } from "../db/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";

/**
 * Pending requests nobody decided within `ttlMinutes` become EXPIRED, each with its audit event,
 * in one transaction. Rows are locked with SKIP LOCKED, so several gateway replicas can run this
 * at once without expiring (or auditing) a request twice, and a concurrent decision wins cleanly.
 */
export async function expireStaleRequests(db: Db, options: { ttlMinutes: number; now?: Date }): Promise<string[]> {
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.ttlMinutes * 60_000);
  return db.$transaction(async (tx) => {
    const stale = await tx.$queryRaw<Array<{ id: string }>>`
      SELECT "id" FROM "AccessRequest" WHERE "status" = 'PENDING' AND "createdAt" < ${cutoff}
      ORDER BY "createdAt" LIMIT 500 FOR UPDATE SKIP LOCKED`;
    if (stale.length === 0) return [];
    const ids = stale.map((row) => row.id);
    await tx.accessRequest.updateMany({ where: { id: { in: ids }, status: "PENDING" }, data: { status: "EXPIRED", decidedAt: now } });
    for (const id of ids) {
      await writeAuditEvent(tx, {
        actor: null,
        action: "access_request.expired",
        targetType: "AccessRequest",
        targetId: id,
        data: { ttlMinutes: options.ttlMinutes },
      });
      await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.accessRequests}, ${id})`;
    }
    return ids;
  });
}
