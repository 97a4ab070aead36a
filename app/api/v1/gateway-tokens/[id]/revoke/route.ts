import { revokeGatewayToken } from "@/lib/tokens/gateway-tokens";
import { noBodySchema } from "@/lib/validate";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ request, actor, params, db }) => {
  await readJson(request, noBodySchema);
  return revokeGatewayToken(db, { actor, tokenId: params.id });
});

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
