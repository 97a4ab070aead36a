import type { PolicyVersion } from "../db/generated/client.ts";
import type { PolicyDocument } from "../policy/schema.ts";
import type { ResolvedScope } from "./policy-scope.ts";

/** No saved version yet: everything is allowed and nothing masked, as before policies existed. */
export const EMPTY_POLICY: PolicyDocument = { default: "allow", rules: [] };

export function presentPolicy(scope: ResolvedScope, row: PolicyVersion | null) {
  const document = (row?.document as PolicyDocument | undefined) ?? EMPTY_POLICY;
  return {
    scope: scope.connectionSlug ? ("connection" as const) : ("global" as const),
    connection: scope.connectionSlug,
    version: row?.version ?? 0,
    default: document.default,
    rules: document.rules,
    updatedBy: row?.createdByEmail ?? null,
    updatedAt: row?.createdAt.toISOString() ?? null,
  };
}
export type PolicyView = ReturnType<typeof presentPolicy>;

export function presentPolicyVersion(row: PolicyVersion) {
  return {
    version: row.version,
    summary: row.summary,
    restoredFrom: row.restoredFrom,
    createdBy: row.createdByEmail,
    createdAt: row.createdAt.toISOString(),
    document: row.document as PolicyDocument,
  };
}
export type PolicyVersionView = ReturnType<typeof presentPolicyVersion>;
