import { previewPolicy } from "@/lib/policies/preview-policy";
import { previewPolicySchema } from "@/lib/policies/schema";
import { handle, methodsNotAllowed, readJson } from "../../_lib/handler";
import { maskingKey } from "../../_lib/masking-key";

export const dynamic = "force-dynamic";

export const POST = handle(
  async ({ request, actor, db }) => {
    const input = await readJson(request, previewPolicySchema);
    return previewPolicy(db, { actor, input, hashKey: maskingKey() });
  },
  { permission: "connections:read" },
);

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
