import { cancelAccessRequest } from "@/lib/access/cancel-access-request";
import { noBodySchema } from "@/lib/validate";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ request, actor, params, db }) => {
  await readJson(request, noBodySchema);
  return cancelAccessRequest(db, { actor, requestId: params.id });
});

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
