import { verifyAuditChainFor } from "@/lib/audit/verify-audit-chain-for";
import { handle } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => verifyAuditChainFor(db, { actor }), { permission: "audit:read" });
