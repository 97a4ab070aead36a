import { policyRoutes } from "../../../../../../_lib/policy-routes";

export const dynamic = "force-dynamic";
export const POST = policyRoutes.restore;
