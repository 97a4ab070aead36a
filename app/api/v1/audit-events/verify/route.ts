import { handle } from "../../_lib/handler";
import { verifyAuditChainFor } from "@/lib/audit/verify-audit-chain-for";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => verifyAuditChainFor(db, { actor }));
