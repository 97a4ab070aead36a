import { vaultKey } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { exportSessionsQuerySchema } from "@/lib/recording/export-schema";
import { exportHeaders, exportSessions, exportStream } from "@/lib/recording/export-sessions";
import { authenticate, errorResponse, methodsNotAllowed, readQuery } from "../../_lib/handler";

export const dynamic = "force-dynamic";

/**
 * The sessions matching the sessions list's filters (the caller's own for requesters), as JSONL or
 * transcripts, streamed; capped at MAX_EXPORT_SESSIONS (the X-Tollgate-Export-Capped header and the
 * body's header say so). The export is an audit event written before the body.
 */
export async function GET(request: Request): Promise<Response> {
  try {
    const actor = await authenticate(request);
    const { format, ...filters } = readQuery(request, exportSessionsQuerySchema);
    const result = await exportSessions(getDb(), {
      actor,
      filters,
      format,
      vaultKey: process.env.TOLLGATE_SECRET_KEY ? vaultKey() : null,
    });
    return new Response(exportStream(result.body), { headers: exportHeaders(result) });
  } catch (error) {
    return errorResponse(error);
  }
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
