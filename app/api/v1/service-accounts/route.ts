import { listServiceAccounts } from "@/lib/users/list-service-accounts";
import { handle, methodsNotAllowed } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => listServiceAccounts(db, { actor }), { permission: "service-accounts:read" });

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
