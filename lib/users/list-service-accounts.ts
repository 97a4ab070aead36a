import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import type { ServiceAccountView } from "./views.ts";

/** Every service account, most recently used first, with its last use and the grants it holds now. */
export async function listServiceAccounts(db: Db, options: { actor: Actor }): Promise<ServiceAccountView[]> {
  assertCan(options.actor, "service-accounts:read", "list service accounts");
  const now = new Date();
  const rows = await db.user.findMany({
    where: { kind: "SERVICE" },
    orderBy: [{ lastSeenAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
    take: 500,
    select: {
      id: true,
      name: true,
      email: true,
      issuer: true,
      subject: true,
      groups: true,
      roles: true,
      createdAt: true,
      lastSeenAt: true,
      _count: { select: { grants: { where: { revokedAt: null, expiresAt: { gt: now }, startsAt: { lte: now } } } } },
    },
  });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    email: row.email,
    issuer: row.issuer,
    subject: row.subject,
    groups: row.groups,
    roles: [...row.roles].sort(),
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt?.toISOString() ?? null,
    activeGrants: row._count.grants,
  }));
}
