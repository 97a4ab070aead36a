import { methodsNotAllowed } from "../../../../_lib/handler";
import { policyRoutes } from "../../../../_lib/policy-routes";

export const dynamic = "force-dynamic";
export const GET = policyRoutes.versions;

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
