import { vaultKey } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { exportSessionsQuerySchema } from "@/lib/recording/export-schema";
import { exportHeaders, exportHeadHeaders, exportSessions, exportStream } from "@/lib/recording/export-sessions";
import { assertNotCrossSite, authenticate, errorResponse, methodsNotAllowed, readQuery } from "../../_lib/handler";
import { acquireStream, MAX_EXPORTS_PER_USER, releaseWhenDone, tooManyStreams } from "../../_lib/stream-limit";

export const dynamic = "force-dynamic";

/**
 * The sessions matching the sessions list's filters (the caller's own for requesters), as JSONL or
 * transcripts, streamed; capped at MAX_EXPORT_SESSIONS (the X-Tollgate-Export-Capped header and the
 * body's header say so). The export is an audit event written before the body.
 */
export async function GET(request: Request): Promise<Response> {
  let release: (() => void) | null = null;
  try {
    const actor = await authenticate(request);
    assertNotCrossSite(request);
    const { format, ...filters } = readQuery(request, exportSessionsQuerySchema);
    // Taken before the export's audit event: a refused export is not recorded as one.
    release = acquireStream("export", actor.id, MAX_EXPORTS_PER_USER);
    if (!release) return tooManyStreams("exports downloading", MAX_EXPORTS_PER_USER);
    const result = await exportSessions(getDb(), {
      actor,
      filters,
      format,
      vaultKey: process.env.TOLLGATE_SECRET_KEY ? vaultKey() : null,
    });
    return new Response(releaseWhenDone(exportStream(result.body), release), { headers: exportHeaders(result) });
  } catch (error) {
    release?.();
    return errorResponse(error);
  }
}

/** HEAD: GET's checks and headers, without the export or its audit event (see sessions/{id}/export). */
export async function HEAD(request: Request): Promise<Response> {
  try {
    await authenticate(request);
    const { format } = readQuery(request, exportSessionsQuerySchema);
    return new Response(null, { headers: exportHeadHeaders(format, "tollgate-sessions") });
  } catch (error) {
    return errorResponse(error);
  }
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
