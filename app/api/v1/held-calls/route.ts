import { listHeldCalls } from "@/lib/held-calls/list-held-calls";
import { listHeldCallsQuerySchema } from "@/lib/held-calls/schema";
import { handle, methodsNotAllowed, readQuery } from "../_lib/handler";
import { maskingKey } from "../_lib/masking-key";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ request, actor, db }) => {
  const query = readQuery(request, listHeldCallsQuerySchema);
  return listHeldCalls(db, { actor, status: query.status, scope: query.scope, hashKey: maskingKey() });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
