import { verifySession } from "@/lib/recording/verify-session";
import { handle } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => verifySession(db, { actor, sessionId: params.id }));
