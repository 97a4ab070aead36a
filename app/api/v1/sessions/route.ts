import { listSessions } from "@/lib/recording/sessions";
import { handle } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => listSessions(db, { actor }));
