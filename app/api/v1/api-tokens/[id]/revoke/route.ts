import { revokeApiToken } from "@/lib/tokens/revoke-api-token";
import { noBodySchema } from "@/lib/validate";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ request, actor, params, db }) => {
  await readJson(request, noBodySchema);
  return revokeApiToken(db, { actor, tokenId: params.id });
});

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
