import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { auditCheckpointKey } from "./checkpoint.ts";
import { type AuditChainResult, verifyAuditChain } from "./verify-audit-chain.ts";

/**
 * Recomputes the audit hash chain on behalf of an auditor or admin; with the vault key it also
 * checks (and then writes) the signed checkpoint of the chain's head.
 */
export async function verifyAuditChainFor(db: Db, options: { actor: Actor; vaultKey?: Buffer }): Promise<AuditChainResult> {
  assertCan(options.actor, "audit:read", "verify the audit chain");
  return verifyAuditChain(db, options.vaultKey ? { checkpointKey: auditCheckpointKey(options.vaultKey) } : {});
}
