import { decideAccessRequest } from "@/lib/access/decide-access-request";
import { decideAccessRequestSchema } from "@/lib/access/schema";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(
  async ({ request, actor, params, db }) => {
    const input = await readJson(request, decideAccessRequestSchema);
    return decideAccessRequest(db, { actor, requestId: params.id, decision: "APPROVE", comment: input.comment });
  },
  { permission: "access:decide" },
);

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
