import { AppError } from "@/lib/errors";
import { listGrants } from "@/lib/grants/list-grants";
import { handle } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ request, actor, db }) => {
  const query = new URL(request.url).searchParams;
  const scope = query.get("scope") ?? "mine";
  if (scope !== "mine" && scope !== "all") {
    throw new AppError("BAD_REQUEST", 'scope must be "mine" or "all".', { field: "scope" });
  }
  const active = query.get("active");
  if (active !== null && !["", "1", "0", "true", "false"].includes(active)) {
    throw new AppError("BAD_REQUEST", 'active must be "1" (only active grants) or "0".', { field: "active" });
  }
  return listGrants(db, { actor, scope, activeOnly: active === "1" || active === "true" || active === "" });
});
