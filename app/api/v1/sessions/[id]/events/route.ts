import { listSessionEventsQuerySchema } from "@/lib/recording/schema";
import { listSessionEvents } from "@/lib/recording/sessions";
import { handle, methodsNotAllowed, readQuery } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ request, actor, params, db }) => {
  const query = readQuery(request, listSessionEventsQuerySchema);
  return listSessionEvents(db, { actor, sessionId: params.id, afterSeq: query.after });
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
