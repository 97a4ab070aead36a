import type { Actor } from "../authz/permissions.ts";
import type { Tx } from "../db/client.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";

/** The record format new audit rows are written in (see auditRecord). */
export const AUDIT_RECORD_VERSION = 2;

/**
 * What an audit row's hash covers, by its record format `v`: 1 (rows written before every column
 * was covered) leaves out v and actorEmail; 2 covers every column. Changing v changes the record,
 * so a row cannot be downgraded to drop actorEmail from its hash.
 */
export function auditRecord(row: {
  v: number;
  at: Date;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetId: string;
  data: unknown;
}): Record<string, unknown> {
  const v1 = {
    at: row.at.toISOString(),
    actorId: row.actorId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    data: row.data,
  };
  return row.v === 1 ? v1 : { v: row.v, ...v1, actorEmail: row.actorEmail };
}

export interface AuditEventInput {
  /** null for the system itself (seed, expiry sweeps). */
  actor: Actor | null;
  action: string;
  targetType: string;
  targetId: string;
  data?: Record<string, unknown>;
}

/**
 * Writes one audit event inside the caller's transaction, so the event exists exactly when the
 * change it describes does. Events form a hash chain; a transaction-scoped advisory lock keeps
 * the chain linear when several transactions append at once.
 */
export async function writeAuditEvent(tx: Tx, input: AuditEventInput): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(7426002)`;
  const last = await tx.auditEvent.findFirst({ orderBy: { id: "desc" }, select: { hash: true } });
  const prevHash = last?.hash ?? GENESIS_HASH;
  const at = new Date();
  const data = input.data ?? {};
  const row = {
    v: AUDIT_RECORD_VERSION,
    at,
    actorId: input.actor?.id ?? null,
    actorEmail: input.actor?.email ?? null,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    data,
  };
  await tx.auditEvent.create({
    data: { ...row, data: data as object, prevHash, hash: chainHash(prevHash, auditRecord(row)) },
  });
}
