import { vaultKey } from "@/lib/config";
import { getConnection } from "@/lib/connections/get-connection";
import { updateConnectionSchema } from "@/lib/connections/schema";
import { updateConnection } from "@/lib/connections/update-connection";
import { handle, methodsNotAllowed, readJson } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ slug: string }>(async ({ actor, params, db }) => getConnection(db, { actor, slug: params.slug }), {
  permission: "connections:read",
});

export const PATCH = handle<{ slug: string }>(
  async ({ request, actor, params, db }) => {
    const input = await readJson(request, updateConnectionSchema);
    return updateConnection(db, { actor, slug: params.slug, input, vaultKey: vaultKey() });
  },
  { permission: "connections:write" },
);

export const { POST, PUT, DELETE, OPTIONS } = methodsNotAllowed("GET", "PATCH");
