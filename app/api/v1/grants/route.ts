import { listGrants } from "@/lib/grants/list-grants";
import { listGrantsQuerySchema } from "@/lib/grants/schema";
import { handle, methodsNotAllowed, readQuery } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ request, actor, db }) => {
  const query = readQuery(request, listGrantsQuerySchema);
  return listGrants(db, { actor, scope: query.scope, activeOnly: query.active });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
