import { getAccessRequest } from "@/lib/access/list-access-requests";
import { handle } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => getAccessRequest(db, { actor, requestId: params.id }));
