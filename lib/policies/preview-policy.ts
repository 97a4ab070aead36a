import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { compilePolicy, evaluateMessage } from "../policy/index.ts";
import { loadPolicyDocuments } from "./load-policies.ts";
import { resolvePolicyScope } from "./policy-scope.ts";
import type { PreviewPolicyInput } from "./schema.ts";
import type { PolicyPreview } from "./views.ts";

/** The API's shape of a preview: the zod schema in ./views.ts (the OpenAPI document's). */
export type { PolicyPreview };

/**
 * What the gateway would do with one message: the same compile + evaluate the gateway runs, on the
 * saved policies or on a draft that stands in for one of them (the editor's live preview).
 */
export async function previewPolicy(
  db: Db,
  options: { actor: Actor; input: PreviewPolicyInput; hashKey: Uint8Array },
): Promise<PolicyPreview> {
  const { actor, input } = options;
  assertCan(actor, "connections:read", "preview policies");
  let documents = { global: input.policy ?? null, connection: null as PreviewPolicyInput["policy"] | null };
  if (input.connection) {
    const scope = await resolvePolicyScope(db, { kind: "connection", slug: input.connection });
    const saved = await loadPolicyDocuments(db, scope.connectionId);
    documents = { global: saved.global, connection: input.policy ?? saved.connection };
  } else if (!input.policy) {
    const saved = await loadPolicyDocuments(db, null);
    documents = { global: saved.global, connection: null };
  }
  let compiled: ReturnType<typeof compilePolicy>;
  try {
    compiled = compilePolicy({ global: documents.global ?? null, connection: documents.connection ?? null, hashKey: options.hashKey });
  } catch (error) {
    throw new AppError("BAD_REQUEST", `policy: ${(error as Error).message}`, { field: "policy" });
  }
  const result = evaluateMessage(compiled, { direction: input.direction, message: input.message, requestMethod: input.requestMethod });
  return {
    decision: result.decision,
    rule: result.rule ?? null,
    reason: result.reason ?? null,
    /** What the client receives (responses) or what goes upstream (requests: unchanged). */
    forwarded: result.forward,
    /** What the recording stores: masked in both directions. */
    masked: result.record,
    findings: result.findings,
    counts: result.counts,
    hidden: result.hidden,
  };
}
