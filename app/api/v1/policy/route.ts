import { policyRoutes } from "../_lib/policy-routes";

export const dynamic = "force-dynamic";
export const GET = policyRoutes.get;
export const PUT = policyRoutes.put;
