import { listAuditEvents } from "@/lib/audit/list-audit-events";
import { listAuditEventsQuerySchema } from "@/lib/audit/schema";
import { handle, methodsNotAllowed, readQuery } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(
  async ({ request, actor, db }) => {
    const { actor: actorEmail, ...filters } = readQuery(request, listAuditEventsQuerySchema);
    return listAuditEvents(db, { actor, actorEmail, ...filters });
  },
  { permission: "audit:read" },
);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
