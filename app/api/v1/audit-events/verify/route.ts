import { verifyAuditChainFor } from "@/lib/audit/verify-audit-chain-for";
import { vaultKey } from "@/lib/config";
import { handle, methodsNotAllowed } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => verifyAuditChainFor(db, { actor, vaultKey: vaultKey() }), { permission: "audit:read" });

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
