import { vaultKey } from "@/lib/config";
import { previewPolicy } from "@/lib/policies/preview-policy";
import { previewPolicySchema } from "@/lib/policies/schema";
import { maskHashKey } from "@/lib/vault/derive-key";
import { handle, readJson } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle(
  async ({ request, actor, db }) => {
    const input = await readJson(request, previewPolicySchema);
    return previewPolicy(db, { actor, input, hashKey: maskHashKey(vaultKey()) });
  },
  { permission: "connections:read" },
);
