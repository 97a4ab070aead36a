import { searchSessions } from "@/lib/recording/search-sessions";
import { listSessionsQuerySchema } from "@/lib/recording/session-filters";
import { handle, methodsNotAllowed, readQuery } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ request, actor, db }) => searchSessions(db, { actor, ...readQuery(request, listSessionsQuerySchema) }));

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
