import { createAccessRequest } from "@/lib/access/create-access-request";
import { listAccessRequests } from "@/lib/access/list-access-requests";
import { createAccessRequestSchema } from "@/lib/access/schema";
import { AppError } from "@/lib/errors";
import { handle, readJson } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ request, actor, db }) => {
  const scope = new URL(request.url).searchParams.get("scope") ?? "mine";
  if (scope !== "mine" && scope !== "pending" && scope !== "all") {
    throw new AppError("BAD_REQUEST", 'scope must be "mine", "pending" or "all".', { field: "scope" });
  }
  return listAccessRequests(db, { actor, scope });
});

export const POST = handle(
  async ({ request, actor, db }) => {
    const input = await readJson(request, createAccessRequestSchema);
    return createAccessRequest(db, { actor, connectionSlug: input.connection, minutes: input.minutes, reason: input.reason });
  },
  { status: 201, permission: "access:request" },
);
