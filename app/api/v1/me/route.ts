import { gatewayPublicUrl } from "@/lib/config";
import { getUser } from "@/lib/users/get-user";
import { handle, methodsNotAllowed } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => ({ user: await getUser(db, { actor }), gatewayUrl: gatewayPublicUrl() }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
