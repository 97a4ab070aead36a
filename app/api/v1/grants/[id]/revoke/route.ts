import { revokeGrant } from "@/lib/grants/revoke-grant";
import { revokeGrantSchema } from "@/lib/grants/schema";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ request, actor, params, db }) => {
  const input = await readJson(request, revokeGrantSchema);
  return revokeGrant(db, { actor, grantId: params.id, reason: input.reason });
});

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
