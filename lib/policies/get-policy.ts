import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { type PolicyTarget, resolvePolicyScope } from "./policy-scope.ts";
import { type PolicyVersionView, type PolicyView, presentPolicy, presentPolicyVersion } from "./present-policy.ts";

/** The policy in force (its newest version). Anyone who may see the catalog may read it. */
export async function getPolicy(db: Db, options: { actor: Actor; target: PolicyTarget }): Promise<PolicyView> {
  assertCan(options.actor, "connections:read", "read policies");
  const scope = await resolvePolicyScope(db, options.target);
  const row = await db.policyVersion.findFirst({ where: { scope: scope.scope }, orderBy: { version: "desc" } });
  return presentPolicy(scope, row);
}

/** Every saved version, newest first, each with its document (policies are small: ≤ 200 rules). */
export async function listPolicyVersions(db: Db, options: { actor: Actor; target: PolicyTarget }): Promise<PolicyVersionView[]> {
  assertCan(options.actor, "connections:read", "read policies");
  const scope = await resolvePolicyScope(db, options.target);
  const rows = await db.policyVersion.findMany({ where: { scope: scope.scope }, orderBy: { version: "desc" }, take: 500 });
  return rows.map(presentPolicyVersion);
}

export async function getPolicyVersion(
  db: Db,
  options: { actor: Actor; target: PolicyTarget; version: number },
): Promise<PolicyVersionView> {
  assertCan(options.actor, "connections:read", "read policies");
  const scope = await resolvePolicyScope(db, options.target);
  const row = await db.policyVersion.findUnique({ where: { scope_version: { scope: scope.scope, version: options.version } } });
  if (!row) throw new AppError("NOT_FOUND", `This policy has no version ${options.version}.`);
  return presentPolicyVersion(row);
}
