import { getSession } from "@/lib/recording/sessions";
import { handle, methodsNotAllowed } from "../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => getSession(db, { actor, sessionId: params.id }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
