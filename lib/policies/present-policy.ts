import type { PolicyVersion } from "../db/generated/client.ts";
import type { PolicyDocument } from "../policy/schema.ts";
import type { ResolvedScope } from "./policy-scope.ts";
import type { PolicyVersionView, PolicyView } from "./views.ts";

/** The API's shapes of a policy and its versions: the zod schemas in ./views.ts (the OpenAPI document's). */
export type { PolicyVersionView, PolicyView };

/** No saved version yet: everything is allowed and nothing masked, as before policies existed. */
export const EMPTY_POLICY: PolicyDocument = { default: "allow", rules: [] };

export function presentPolicy(scope: ResolvedScope, row: PolicyVersion | null): PolicyView {
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

export function presentPolicyVersion(row: PolicyVersion): PolicyVersionView {
  return {
    version: row.version,
    summary: row.summary,
    restoredFrom: row.restoredFrom,
    createdBy: row.createdByEmail,
    createdAt: row.createdAt.toISOString(),
    document: row.document as PolicyDocument,
  };
}
