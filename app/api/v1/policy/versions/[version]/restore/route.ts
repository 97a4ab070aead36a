import { methodsNotAllowed } from "../../../../_lib/handler";
import { policyRoutes } from "../../../../_lib/policy-routes";

export const dynamic = "force-dynamic";
export const POST = policyRoutes.restore;

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
