import { getHeldCall } from "@/lib/held-calls/list-held-calls";
import { handle, methodsNotAllowed } from "../../_lib/handler";
import { maskingKey } from "../../_lib/masking-key";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) =>
  getHeldCall(db, { actor, heldCallId: params.id, hashKey: maskingKey() }),
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
