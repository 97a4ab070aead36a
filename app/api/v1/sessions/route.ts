import { handle } from "../_lib/handler";
import { listSessions } from "@/lib/recording/sessions";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => listSessions(db, { actor }));
