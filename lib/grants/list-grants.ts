import { type GrantView, presentGrant } from "../access/present.ts";
import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";

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
