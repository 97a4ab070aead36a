import { can } from "@/lib/authz/permissions";
import { getLiveListener } from "@/lib/events/live-listener";
import { authenticate, errorResponse, methodsNotAllowed } from "../_lib/handler";
import { acquireStream, tooManyStreams } from "../_lib/stream-limit";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 25_000;

/**
 * Server-sent events for live dashboards: "something of this kind changed" hints from Postgres
 * NOTIFY. They carry no data, so every client refetches through the authorized API.
 */
export async function GET(request: Request): Promise<Response> {
  let release: () => void;
  let withIds: boolean;
  try {
    const actor = await authenticate(request);
    // Ids name other people's sessions, requests and grants (and when they change): only for those
    // who may see everyone's. A requester's dashboard only needs the kind, to refetch its own rows.
    withIds = can(actor, "sessions:read:all");
    const slot = acquireStream("events", actor.id);
    if (!slot) return tooManyStreams("live event streams open");
    release = slot;
  } catch (error) {
    return errorResponse(error);
  }
  const encoder = new TextEncoder();
  let cleanup: () => void = () => undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => {
        try {
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          cleanup();
        }
      };
      const unsubscribe = getLiveListener().subscribe((event) => {
        // Per-message recorder hints go only to the authorized per-session stream
        // (/api/v1/sessions/{id}/stream): here they would tell every user of every session's activity.
        if (event.topic === "sessionEvents") return;
        send(event.topic, withIds && "id" in event ? { id: event.id } : {});
      });
      const heartbeat = setInterval(() => send("ping", {}), HEARTBEAT_MS);
      cleanup = () => {
        release();
        clearInterval(heartbeat);
        unsubscribe();
        try {
          controller.close();
        } catch {
          // already closed
        }
      };
      request.signal.addEventListener("abort", () => cleanup());
      send("ready", {});
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}

/**
 * HEAD: authentication and the headers, without a stream (Next would otherwise run GET and never
 * close the stream it discards: a listener, a timer and one of the user's places, each time).
 */
export async function HEAD(request: Request): Promise<Response> {
  try {
    await authenticate(request);
    return new Response(null, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" } });
  } catch (error) {
    return errorResponse(error);
  }
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
