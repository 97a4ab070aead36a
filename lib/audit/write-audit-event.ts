import type { Actor } from "../authz/permissions.ts";
import type { Tx } from "../db/client.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";

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
  const record = {
    at: at.toISOString(),
    actorId: input.actor?.id ?? null,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    data,
  };
  await tx.auditEvent.create({
    data: {
      at,
      actorId: input.actor?.id ?? null,
      actorEmail: input.actor?.email ?? null,
      action: input.action,
      targetType: input.targetType,
      targetId: input.targetId,
      data: data as object,
      prevHash,
      hash: chainHash(prevHash, record),
    },
  });
}
