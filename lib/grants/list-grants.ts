import { type GrantView, presentGrant } from "../access/present.ts";
import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";

/** The grants the actor may see: their own, or everyone's with grants:read:all. */
export function visibleGrants(actor: Actor) {
  return can(actor, "grants:read:all") ? {} : { userId: actor.id };
}

/** The one 404 for a grant that does not exist and for one the actor may not see: the two look the same. */
export function grantNotFound(grantId: string): AppError {
  return new AppError("NOT_FOUND", `No grant ${grantId}.`);
}

export async function listGrants(db: Db, options: { actor: Actor; scope: "mine" | "all"; activeOnly?: boolean }): Promise<GrantView[]> {
  const { actor, scope } = options;
  if (scope === "all" && !can(actor, "grants:read:all")) {
    throw new AppError("FORBIDDEN", "Only approvers, auditors and admins can see everyone's grants.");
  }
  const now = new Date();
  const rows = await db.grant.findMany({
    where: {
      ...(scope === "mine" ? { userId: actor.id } : {}),
      ...(options.activeOnly ? { revokedAt: null, expiresAt: { gt: now } } : {}),
    },
    include: { connection: { select: { slug: true, name: true } }, user: { select: { id: true, email: true, name: true } } },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
  return rows.map((row) => presentGrant(row));
}
