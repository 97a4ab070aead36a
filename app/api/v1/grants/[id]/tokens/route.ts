import { listGatewayTokens } from "@/lib/tokens/gateway-tokens";
import { mintGatewayToken } from "@/lib/tokens/mint-gateway-token";
import { noBodySchema } from "@/lib/validate";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

// The token is shown once: no cache may keep a copy.
export const POST = handle<{ id: string }>(
  async ({ request, actor, params, db }) => {
    await readJson(request, noBodySchema);
    return mintGatewayToken(db, { actor, grantId: params.id });
  },
  { status: 201, headers: { "Cache-Control": "no-store" } },
);

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => listGatewayTokens(db, { actor, grantId: params.id }));

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
