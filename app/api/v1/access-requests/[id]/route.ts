import { getAccessRequest } from "@/lib/access/list-access-requests";
import { handle, methodsNotAllowed } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => getAccessRequest(db, { actor, requestId: params.id }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
