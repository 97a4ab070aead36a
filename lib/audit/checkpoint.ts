import { createHmac, timingSafeEqual } from "node:crypto";
import type { Db } from "../db/client.ts";
import { deriveKey } from "../vault/derive-key.ts";

/** The HMAC key of audit checkpoints: derived from TOLLGATE_SECRET_KEY, never stored. */
export const auditCheckpointKey = (vaultKey: Uint8Array): Buffer => deriveKey(vaultKey, "audit-checkpoint:v1");

/** How often the gateway's housekeeping checkpoints the audit chain's head (when it moved). */
export const AUDIT_CHECKPOINT_INTERVAL_MS = 5 * 60_000;

interface CheckpointFields {
  at: Date;
  eventId: bigint;
  hash: string;
}

function sign(key: Buffer, checkpoint: CheckpointFields): string {
  return createHmac("sha256", key)
    .update(`audit-checkpoint:v1\n${checkpoint.eventId}\n${checkpoint.hash}\n${checkpoint.at.toISOString()}`)
    .digest("hex");
}

/**
 * Signs the audit chain's current head into AuditCheckpoint. Skipped when the head has not moved
 * since the newest checkpoint, or (with `minIntervalMs`) when that checkpoint is younger than it.
 * Returns whether a checkpoint was written.
 */
export async function writeAuditCheckpoint(db: Db, options: { key: Buffer; minIntervalMs?: number }): Promise<boolean> {
  const head = await db.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true, hash: true } });
  if (!head) return false;
  const newest = await db.auditCheckpoint.findFirst({ orderBy: { id: "desc" } });
  if (newest && newest.eventId === head.id && newest.hash === head.hash) return false;
  if (newest && options.minIntervalMs !== undefined && Date.now() - newest.at.getTime() < options.minIntervalMs) return false;
  const checkpoint = { at: new Date(), eventId: head.id, hash: head.hash };
  await db.auditCheckpoint.create({ data: { ...checkpoint, signature: sign(options.key, checkpoint) } });
  return true;
}

export type CheckpointCheck =
  | { ok: true; checkpoint: { eventId: string; at: string } | null }
  | { ok: false; eventId: string; reason: string };

/**
 * Checks the newest checkpoint: its signature is valid and the event it names still exists with
 * the same hash. Call after the chain itself verified, so that event's hash vouches for every
 * row before it; a missing one means the newest rows were deleted.
 */
export async function checkNewestCheckpoint(db: Db, key: Buffer): Promise<CheckpointCheck> {
  const newest = await db.auditCheckpoint.findFirst({ orderBy: { id: "desc" } });
  if (!newest) return { ok: true, checkpoint: null };
  const eventId = String(newest.eventId);
  const expected = Buffer.from(sign(key, newest), "hex");
  const actual = Buffer.from(newest.signature, "hex");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual))
    return { ok: false, eventId, reason: `checkpoint ${newest.id} has an invalid signature` };
  const event = await db.auditEvent.findUnique({ where: { id: newest.eventId }, select: { hash: true } });
  if (!event)
    return {
      ok: false,
      eventId,
      reason: `event ${eventId}, checkpointed at ${newest.at.toISOString()}, is missing: the newest audit events were deleted`,
    };
  if (event.hash !== newest.hash) return { ok: false, eventId, reason: `event ${eventId} does not have the hash its checkpoint signed` };
  return { ok: true, checkpoint: { eventId, at: newest.at.toISOString() } };
}
