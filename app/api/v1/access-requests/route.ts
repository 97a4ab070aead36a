import { createAccessRequest } from "@/lib/access/create-access-request";
import { listAccessRequests } from "@/lib/access/list-access-requests";
import { createAccessRequestSchema, listAccessRequestsQuerySchema } from "@/lib/access/schema";
import { handle, methodsNotAllowed, readJson, readQuery } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ request, actor, db }) => {
  const query = readQuery(request, listAccessRequestsQuerySchema);
  return listAccessRequests(db, { actor, scope: query.scope });
});

export const POST = handle(
  async ({ request, actor, db }) => {
    const input = await readJson(request, createAccessRequestSchema);
    return createAccessRequest(db, { actor, connectionSlug: input.connection, minutes: input.minutes, reason: input.reason });
  },
  { status: 201, permission: "access:request" },
);

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
