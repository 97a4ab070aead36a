import { assertCan, type Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { verifyAuditChain, type AuditChainResult } from "./verify-audit-chain.ts";

/** Recomputes the audit hash chain on behalf of an auditor or admin. */
export async function verifyAuditChainFor(db: Db, options: { actor: Actor }): Promise<AuditChainResult> {
  assertCan(options.actor, "audit:read", "verify the audit chain");
  return verifyAuditChain(db);
}
