import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db, Tx } from "../db/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { forgetRawArguments } from "./arguments.ts";

/**
 * Held calls whose holding gateway went away can never be forwarded: the request they held lived
 * in that process. A gateway calls this when it starts (for its own instance id: a previous run's
 * calls), for the calls it holds when it shuts down, and for the calls of lost gateway instances
 * (gateway/instance.ts: `gatewayInstance` is then a list). They become ABANDONED — never approved
 * later — and keep no raw arguments.
 */
export async function abandonHeldCalls(db: Db, options: AbandonHeldCallsOptions): Promise<string[]> {
  return db.$transaction((tx) => abandonHeldCallsIn(tx, options));
}

export interface AbandonHeldCallsOptions {
  gatewayInstance: string | string[];
  reason: string;
  heldCallIds?: string[];
  /** Only calls held before this (a restarted gateway's previous run). */
  createdBefore?: Date;
  now?: Date;
}

/** abandonHeldCalls inside a transaction the caller runs (the rows, audit events and NOTIFYs commit with it). */
export async function abandonHeldCallsIn(tx: Tx, options: AbandonHeldCallsOptions): Promise<string[]> {
  const now = options.now ?? new Date();
  const instances = typeof options.gatewayInstance === "string" ? [options.gatewayInstance] : options.gatewayInstance;
  if (instances.length === 0) return [];
  const rows = await tx.heldCall.findMany({
    where: {
      status: "PENDING",
      gatewayInstance: { in: instances },
      ...(options.heldCallIds ? { id: { in: options.heldCallIds } } : {}),
      ...(options.createdBefore ? { createdAt: { lt: options.createdBefore } } : {}),
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
  await forgetRawArguments(
    tx,
    updated.map((row) => row.id),
  );
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
}
