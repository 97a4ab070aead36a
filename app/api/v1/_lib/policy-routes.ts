import { AppError } from "@/lib/errors";
import { getPolicy, getPolicyVersion, listPolicyVersions } from "@/lib/policies/get-policy";
import type { PolicyTarget } from "@/lib/policies/policy-scope";
import { restorePolicyVersion, savePolicy } from "@/lib/policies/save-policy";
import { savePolicySchema } from "@/lib/policies/schema";
import { noBodySchema } from "@/lib/validate";
import { handle, readJson } from "./handler";

// The global policy (/api/v1/policy…) and a connection's (/api/v1/connections/{slug}/policy…) share
// one set of handlers; only how the target is read from the URL differs.

type Params = { slug?: string; version?: string };
const targetOf = (params: Params): PolicyTarget => (params.slug ? { kind: "connection", slug: params.slug } : { kind: "global" });

/** The largest version number Postgres's integer column holds. */
const MAX_VERSION = 2_147_483_647;

function versionOf(params: Params): number {
  // Digits only: Number() would take "1e3", " 7" or "0x10", and a number past the column's range
  // would reach the query (a 500 from the database, not a 404).
  const version = /^[0-9]{1,10}$/.test(params.version ?? "") ? Number(params.version) : Number.NaN;
  if (!(version >= 1 && version <= MAX_VERSION)) {
    throw new AppError(
      "NOT_FOUND",
      `No policy version ${JSON.stringify(String(params.version).slice(0, 40))}: versions are numbered from 1.`,
    );
  }
  return version;
}

export const policyRoutes = {
  get: handle<Params>(async ({ actor, params, db }) => getPolicy(db, { actor, target: targetOf(params) }), {
    permission: "connections:read",
  }),
  put: handle<Params>(
    async ({ request, actor, params, db }) => {
      const { baseVersion, ...document } = await readJson(request, savePolicySchema);
      return savePolicy(db, { actor, target: targetOf(params), document, baseVersion });
    },
    { permission: "policies:write" },
  ),
  versions: handle<Params>(async ({ actor, params, db }) => listPolicyVersions(db, { actor, target: targetOf(params) }), {
    permission: "connections:read",
  }),
  version: handle<Params>(
    async ({ actor, params, db }) => getPolicyVersion(db, { actor, target: targetOf(params), version: versionOf(params) }),
    { permission: "connections:read" },
  ),
  restore: handle<Params>(
    async ({ request, actor, params, db }) => {
      await readJson(request, noBodySchema);
      return restorePolicyVersion(db, { actor, target: targetOf(params), version: versionOf(params) });
    },
    { permission: "policies:write" },
  ),
};
