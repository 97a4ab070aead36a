import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { grantNotFound, visibleGrants } from "../grants/list-grants.ts";
import type { GatewayTokenView } from "./views.ts";

/** The API's shape of a gateway token (never the token): the zod schema in ./views.ts. */
export type { GatewayTokenView };

function present(row: {
  id: string;
  grantId: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): GatewayTokenView {
  return {
    id: row.id,
    grantId: row.grantId,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

/** The gateway tokens minted for a grant: its holder's own, or anyone's with grants:read:all. Never the hash. */
export async function listGatewayTokens(db: Db, options: { actor: Actor; grantId: string }): Promise<GatewayTokenView[]> {
  const { actor, grantId } = options;
  const grant = await db.grant.findFirst({ where: { id: grantId, ...visibleGrants(actor) }, select: { id: true } });
  if (!grant) throw grantNotFound(grantId);
  const rows = await db.gatewayToken.findMany({
    where: { grantId },
    select: { id: true, grantId: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    orderBy: { createdAt: "desc" },
  });
  return rows.map(present);
}

/**
 * Revokes one gateway token (a leaked one, say) without ending the grant: its holder, or an
 * approver/admin. Gateways refuse it from the next request and end the sessions it opened.
 */
export async function revokeGatewayToken(db: Db, options: { actor: Actor; tokenId: string }): Promise<GatewayTokenView> {
  const { actor, tokenId } = options;
  const mayRevokeAny = can(actor, "grants:revoke");
  // Visible like the grants they belong to: the holder's own, or everyone's with grants:read:all.
  const token = await db.gatewayToken.findFirst({ where: { id: tokenId, ...visibleGrants(actor) }, select: { userId: true } });
  if (!token) throw new AppError("NOT_FOUND", `No gateway token ${tokenId}.`);
  if (!mayRevokeAny && token.userId !== actor.id) throw new AppError("FORBIDDEN", "You can only revoke your own gateway tokens.");
  await db.$transaction(async (tx) => {
    const changed = await tx.gatewayToken.updateMany({
      where: { id: tokenId, revokedAt: null, ...(mayRevokeAny ? {} : { userId: actor.id }) },
      data: { revokedAt: new Date() },
    });
    if (changed.count === 0) throw new AppError("CONFLICT", "This gateway token is already revoked.");
    await writeAuditEvent(tx, { actor, action: "gateway_token.revoked", targetType: "GatewayToken", targetId: tokenId });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.gatewayTokenRevoked}, ${tokenId})`;
  });
  return present(
    await db.gatewayToken.findUniqueOrThrow({
      where: { id: tokenId },
      select: { id: true, grantId: true, prefix: true, createdAt: true, lastUsedAt: true, revokedAt: true },
    }),
  );
}
