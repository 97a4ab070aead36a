import { type GrantView, presentGrant } from "../access/present.ts";
import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { grantNotFound, visibleGrants } from "./list-grants.ts";

/**
 * Revokes a grant: approvers/admins may revoke any, a holder may give up their own; someone else's
 * grant is "not found" to a caller who may not see it. Gateways learn of it through NOTIFY
 * (delivered at commit) and cut open sessions at once.
 */
export async function revokeGrant(db: Db, options: { actor: Actor; grantId: string; reason?: string }): Promise<GrantView> {
  const { actor, grantId } = options;
  const mayRevokeAny = can(actor, "grants:revoke");
  const grant = await db.grant.findFirst({ where: { id: grantId, ...visibleGrants(actor) }, select: { userId: true } });
  if (!grant) throw grantNotFound(grantId);
  if (!mayRevokeAny && grant.userId !== actor.id) throw new AppError("FORBIDDEN", "You can only revoke your own grants.");

  await db.$transaction(async (tx) => {
    const now = new Date();
    const changed = await tx.grant.updateMany({
      where: { id: grantId, revokedAt: null, ...(mayRevokeAny ? {} : { userId: actor.id }) },
      data: { revokedAt: now, revokedById: actor.id },
    });
    if (changed.count === 0) throw new AppError("CONFLICT", "This grant is already revoked.");
    await writeAuditEvent(tx, {
      actor,
      action: "grant.revoked",
      targetType: "Grant",
      targetId: grantId,
      data: { reason: options.reason ?? null },
    });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.grantRevoked}, ${grantId})`;
  });
  const updated = await db.grant.findUniqueOrThrow({
    where: { id: grantId },
    include: { connection: { select: { slug: true, name: true } }, user: { select: { id: true, email: true, name: true } } },
  });
  return presentGrant(updated);
}
