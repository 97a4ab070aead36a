import { vaultKey } from "@/lib/config";
import { getDb } from "@/lib/db/client";
import { exportSessionQuerySchema } from "@/lib/recording/export-schema";
import { exportHeaders, exportSession, exportStream } from "@/lib/recording/export-sessions";
import { authenticate, errorResponse, methodsNotAllowed, readParams, readQuery } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

/** One session as JSONL or a transcript, streamed; the export is an audit event written before the body. */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const actor = await authenticate(request);
    const query = readQuery(request, exportSessionQuerySchema);
    const { id } = await readParams(context);
    const result = await exportSession(getDb(), {
      actor,
      sessionId: id,
      format: query.format,
      vaultKey: process.env.TOLLGATE_SECRET_KEY ? vaultKey() : null,
    });
    return new Response(exportStream(result.body), { headers: exportHeaders(result) });
  } catch (error) {
    return errorResponse(error);
  }
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
