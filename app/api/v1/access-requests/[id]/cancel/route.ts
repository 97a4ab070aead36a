import { cancelAccessRequest } from "@/lib/access/cancel-access-request";
import { handle, methodsNotAllowed } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const POST = handle<{ id: string }>(async ({ actor, params, db }) => cancelAccessRequest(db, { actor, requestId: params.id }));

export const { HEAD, GET, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
