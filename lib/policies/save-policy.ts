import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db, Tx } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { assignRuleIds, type PolicyDocument } from "../policy/schema.ts";
import { diffPolicies, isEmptyDiff, summarizeDiff } from "./diff-policies.ts";
import { type PolicyTarget, type ResolvedScope, resolvePolicyScope } from "./policy-scope.ts";
import { EMPTY_POLICY, type PolicyView, presentPolicy } from "./present-policy.ts";

export interface SavePolicyOptions {
  actor: Actor;
  target: PolicyTarget;
  document: PolicyDocument;
  /** The version the edit started from; a newer saved version is a conflict, not an overwrite. */
  baseVersion?: number;
}

/**
 * Saves a policy as a new version: the version, its audit event and the NOTIFY that makes every
 * gateway recompile go out in one transaction. Saving an unchanged document creates no version.
 */
export async function savePolicy(db: Db, options: SavePolicyOptions): Promise<PolicyView> {
  assertCan(options.actor, "policies:write", "change policies");
  const document = withIds(options.document);
  return db.$transaction(async (tx) => {
    const scope = await resolvePolicyScope(tx, options.target);
    const saved = await appendVersion(tx, { actor: options.actor, scope, document, baseVersion: options.baseVersion, restoredFrom: null });
    return presentPolicy(scope, saved);
  });
}

/** Restores an older version by saving its document as the newest version (history stays linear). */
export async function restorePolicyVersion(db: Db, options: { actor: Actor; target: PolicyTarget; version: number }): Promise<PolicyView> {
  assertCan(options.actor, "policies:write", "change policies");
  return db.$transaction(async (tx) => {
    const scope = await resolvePolicyScope(tx, options.target);
    const old = await tx.policyVersion.findUnique({ where: { scope_version: { scope: scope.scope, version: options.version } } });
    if (!old) throw new AppError("NOT_FOUND", `This policy has no version ${options.version}.`);
    const saved = await appendVersion(tx, {
      actor: options.actor,
      scope,
      document: old.document as PolicyDocument,
      restoredFrom: options.version,
    });
    return presentPolicy(scope, saved);
  });
}

function withIds(document: PolicyDocument): PolicyDocument {
  try {
    return assignRuleIds(document);
  } catch (error) {
    throw new AppError("BAD_REQUEST", `rules: ${(error as Error).message}`, { field: "rules" });
  }
}

async function appendVersion(
  tx: Tx,
  input: { actor: Actor; scope: ResolvedScope; document: PolicyDocument; baseVersion?: number; restoredFrom: number | null },
) {
  const { actor, scope, document } = input;
  // One writer per scope at a time, so versions are gap-free and baseVersion checks are exact.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(7426003, hashtext(${scope.scope}))`;
  const latest = await tx.policyVersion.findFirst({ where: { scope: scope.scope }, orderBy: { version: "desc" } });
  const latestVersion = latest?.version ?? 0;
  if (input.baseVersion !== undefined && input.baseVersion !== latestVersion) {
    throw new AppError(
      "CONFLICT",
      `This policy was saved as version ${latestVersion} by ${latest?.createdByEmail ?? "someone"} after you started editing version ${input.baseVersion}. Reload it and apply your change again.`,
    );
  }
  const diff = diffPolicies((latest?.document as PolicyDocument | undefined) ?? EMPTY_POLICY, document);
  if (latest && isEmptyDiff(diff)) return latest;
  const summary = input.restoredFrom !== null ? `restored version ${input.restoredFrom}: ${summarizeDiff(diff)}` : summarizeDiff(diff);
  const row = await tx.policyVersion.create({
    data: {
      scope: scope.scope,
      connectionId: scope.connectionId,
      version: latestVersion + 1,
      document: document as object,
      summary,
      restoredFrom: input.restoredFrom,
      createdById: actor.id,
      createdByEmail: actor.email,
    },
  });
  await writeAuditEvent(tx, {
    actor,
    action: input.restoredFrom !== null ? "policy.restored" : "policy.saved",
    targetType: scope.connectionId ? "Connection" : "GlobalPolicy",
    targetId: scope.connectionId ?? "global",
    data: { connection: scope.connectionSlug, version: row.version, restoredFrom: input.restoredFrom, summary, diff: { ...diff } },
  });
  await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.policies}, ${scope.scope})`;
  return row;
}
