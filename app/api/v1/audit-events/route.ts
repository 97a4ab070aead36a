import { listAuditEvents } from "@/lib/audit/list-audit-events";
import { listAuditEventsQuerySchema } from "@/lib/audit/schema";
import { AppError } from "@/lib/errors";
import { handle } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(
  async ({ request, actor, db }) => {
    const parsed = listAuditEventsQuerySchema.safeParse(Object.fromEntries(new URL(request.url).searchParams));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".");
      throw new AppError("BAD_REQUEST", `${field}: ${issue.message}`, { field });
    }
    const { actor: actorEmail, ...filters } = parsed.data;
    return listAuditEvents(db, { actor, actorEmail, ...filters });
  },
  { permission: "audit:read" },
);
