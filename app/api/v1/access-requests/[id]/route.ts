import { handle } from "../../_lib/handler";
import { getAccessRequest } from "@/lib/access/list-access-requests";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => getAccessRequest(db, { actor, requestId: params.id }));
