import { vaultKey } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { exportSessionQuerySchema } from "@/lib/recording/export-schema";
import { exportHeaders, exportHeadHeaders, exportSession, exportStream } from "@/lib/recording/export-sessions";
import { findVisibleSession } from "@/lib/recording/sessions";
import { assertNotCrossSite, authenticate, errorResponse, methodsNotAllowed, readParams, readQuery } from "../../../_lib/handler";
import { acquireStream, MAX_EXPORTS_PER_USER, releaseWhenDone, tooManyStreams } from "../../../_lib/stream-limit";

export const dynamic = "force-dynamic";

/** One session as JSONL or a transcript, streamed; the export is an audit event written before the body. */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  let release: (() => void) | null = null;
  try {
    const actor = await authenticate(request);
    assertNotCrossSite(request);
    const query = readQuery(request, exportSessionQuerySchema);
    const { id } = await readParams(context);
    // Taken before the export's audit event: a refused export is not recorded as one.
    release = acquireStream("export", actor.id, MAX_EXPORTS_PER_USER);
    if (!release) return tooManyStreams("exports downloading", MAX_EXPORTS_PER_USER);
    const result = await exportSession(getDb(), {
      actor,
      sessionId: id,
      format: query.format,
      vaultKey: process.env.TOLLGATE_SECRET_KEY ? vaultKey() : null,
    });
    return new Response(releaseWhenDone(exportStream(result.body), release), { headers: exportHeaders(result) });
  } catch (error) {
    release?.();
    return errorResponse(error);
  }
}

/**
 * HEAD: GET's checks and headers, without the export (Next would otherwise run GET: an audit event
 * for an export nobody received, and a body never read holding one of the user's export places).
 */
export async function HEAD(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const actor = await authenticate(request);
    const query = readQuery(request, exportSessionQuerySchema);
    const { id } = await readParams(context);
    const session = await findVisibleSession(getDb(), actor, id);
    return new Response(null, { headers: exportHeadHeaders(query.format, `tollgate-session-${session.id}`) });
  } catch (error) {
    return errorResponse(error);
  }
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
