import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db } from "../db/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";

/**
 * Held calls whose holding gateway went away can never be forwarded: the request they held lived
 * in that process. A gateway calls this when it starts (for its own instance id, or for every
 * pending call when it has no stable id) and, for the calls it holds, when it shuts down. They
 * become ABANDONED — never approved later.
 */
export async function abandonHeldCalls(
  db: Db,
  options: { gatewayInstance: string | null; reason: string; heldCallIds?: string[]; now?: Date },
): Promise<string[]> {
  const now = options.now ?? new Date();
  return db.$transaction(async (tx) => {
    const rows = await tx.heldCall.findMany({
      where: {
        status: "PENDING",
        ...(options.gatewayInstance !== null ? { gatewayInstance: options.gatewayInstance } : {}),
        ...(options.heldCallIds ? { id: { in: options.heldCallIds } } : {}),
      },
      select: { id: true },
    });
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const updated = await tx.heldCall.updateManyAndReturn({
      where: { id: { in: ids }, status: "PENDING" },
      data: { status: "ABANDONED", decidedAt: now, endReason: options.reason },
      select: { id: true },
    });
    for (const { id } of updated) {
      await writeAuditEvent(tx, {
        actor: null,
        action: "held_call.abandoned",
        targetType: "HeldCall",
        targetId: id,
        data: { reason: options.reason },
      });
      await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.heldCalls}, ${id})`;
    }
    return updated.map((row) => row.id);
  });
}
