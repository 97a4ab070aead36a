import { decideHeldCall } from "@/lib/held-calls/decide-held-call";
import { decideHeldCallSchema } from "@/lib/held-calls/schema";
import { handle, methodsNotAllowed, readJson } from "../../../_lib/handler";
import { maskingKey } from "../../../_lib/masking-key";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(
  async ({ request, actor, params, db }) => {
    const input = await readJson(request, decideHeldCallSchema);
    return decideHeldCall(db, {
      actor,
      heldCallId: params.id,
      decision: "DENY",
      comment: input.comment,
      scope: input.scope,
      hashKey: maskingKey(),
    });
  },
  { permission: "access:decide" },
);

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
