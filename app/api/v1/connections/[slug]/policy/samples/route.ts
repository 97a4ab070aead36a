import { listPolicySamples } from "@/lib/policies/list-policy-samples";
import { handle, methodsNotAllowed } from "../../../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ slug: string }>(async ({ actor, params, db }) => listPolicySamples(db, { actor, slug: params.slug }), {
  permission: "sessions:read:all",
});

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
