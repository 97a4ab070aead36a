import { revokeGatewayToken } from "@/lib/tokens/gateway-tokens";
import { handle, methodsNotAllowed } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ actor, params, db }) => revokeGatewayToken(db, { actor, tokenId: params.id }));

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
