import { revokeApiToken } from "@/lib/tokens/revoke-api-token";
import { handle, methodsNotAllowed } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ actor, params, db }) => revokeApiToken(db, { actor, tokenId: params.id }));

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
