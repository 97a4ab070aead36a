import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db } from "../db/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { forgetRawArguments } from "./arguments.ts";

/**
 * The holding gateway gave up on a pending held call: the client cancelled it or closed its
 * stream, the session ended, or the grant was revoked or expired. Returns false when the call was
 * no longer pending (a decision or an expiry won the race); the gateway then re-reads it.
 */
export async function cancelHeldCall(db: Db, options: { heldCallId: string; reason: string; now?: Date }): Promise<boolean> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const updated = await tx.heldCall.updateMany({
      where: { id: options.heldCallId, status: "PENDING" },
      data: { status: "CANCELLED", decidedAt: now, endReason: options.reason },
    });
    if (updated.count === 0) return false;
    await forgetRawArguments(tx, [options.heldCallId]);
    await writeAuditEvent(tx, {
      actor: null,
      action: "held_call.cancelled",
      targetType: "HeldCall",
      targetId: options.heldCallId,
      data: { reason: options.reason },
    });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.heldCalls}, ${options.heldCallId})`;
    return true;
  });
}
