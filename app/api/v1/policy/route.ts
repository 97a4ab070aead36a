import { methodsNotAllowed } from "../_lib/handler";
import { policyRoutes } from "../_lib/policy-routes";

export const dynamic = "force-dynamic";
export const GET = policyRoutes.get;
export const PUT = policyRoutes.put;

export const { POST, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "PUT");
