import { handle } from "../../_lib/handler";
import { getSession } from "@/lib/recording/sessions";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => getSession(db, { actor, sessionId: params.id }));
