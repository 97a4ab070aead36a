import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { type AuditChainResult, verifyAuditChain } from "./verify-audit-chain.ts";

/** Recomputes the audit hash chain on behalf of an auditor or admin. */
export async function verifyAuditChainFor(db: Db, options: { actor: Actor }): Promise<AuditChainResult> {
  assertCan(options.actor, "audit:read", "verify the audit chain");
  return verifyAuditChain(db);
}
