import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db } from "../db/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { forgetRawArguments } from "./arguments.ts";

/**
 * Pending held calls past their deadline become EXPIRED, each with its audit event and NOTIFY, in
 * one transaction. The holding gateway calls it for its own call when the deadline passes
 * (`heldCallId`); every gateway also sweeps for calls whose holder died. Rows are locked with
 * SKIP LOCKED, so a concurrent sweep or decision wins cleanly and nothing expires twice.
 */
export async function expireHeldCalls(db: Db, options: { now?: Date; heldCallId?: string } = {}): Promise<string[]> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const due = options.heldCallId
      ? await tx.$queryRaw<Array<{ id: string }>>`
          SELECT "id" FROM "HeldCall" WHERE "id" = ${options.heldCallId} AND "status" = 'PENDING' AND "deadline" <= ${now}
          FOR UPDATE SKIP LOCKED`
      : await tx.$queryRaw<Array<{ id: string }>>`
          SELECT "id" FROM "HeldCall" WHERE "status" = 'PENDING' AND "deadline" <= ${now}
          ORDER BY "deadline" LIMIT 500 FOR UPDATE SKIP LOCKED`;
    if (due.length === 0) return [];
    const ids = due.map((row) => row.id);
    await tx.heldCall.updateMany({
      where: { id: { in: ids }, status: "PENDING" },
      data: { status: "EXPIRED", decidedAt: now, endReason: "no decision before the deadline" },
    });
    await forgetRawArguments(tx, ids);
    for (const id of ids) {
      await writeAuditEvent(tx, { actor: null, action: "held_call.expired", targetType: "HeldCall", targetId: id });
      await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.heldCalls}, ${id})`;
    }
    return ids;
  });
}
