import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import type { Role } from "../db/generated/enums.ts";

/**
 * Creates or refreshes a user from IdP claims at sign-in. Roles come from the RoleMapping table
 * (IdP group → role); every signed-in person may at least request access.
 */
export async function upsertUserFromIdp(
  db: Db,
  options: { subject: string; email: string; name?: string | null; groups: string[] },
): Promise<Actor & { name: string | null }> {
  const mappings = options.groups.length
    ? await db.roleMapping.findMany({ where: { group: { in: options.groups } }, select: { role: true } })
    : [];
  const roles = [...new Set<Role>(["REQUESTER", ...mappings.map((mapping) => mapping.role)])].sort();
  const data = { email: options.email.toLowerCase(), name: options.name ?? null, groups: options.groups, roles };
  const user = await db.user.upsert({ where: { subject: options.subject }, create: { subject: options.subject, ...data }, update: data });
  return { id: user.id, email: user.email, name: user.name, roles: user.roles };
}
