import { logUnexpected } from "@/app/_lib/log";
import type { Actor } from "@/lib/authz/permissions";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { getLiveListener } from "@/lib/events/live-listener";
import { SESSION_EVENTS_PAGE } from "@/lib/recording/limits";
import { listSessionEventsQuerySchema, MAX_SEQ } from "@/lib/recording/schema";
import { findVisibleSession, listSessionEvents } from "@/lib/recording/sessions";
import { authenticate, errorResponse, methodsNotAllowed, readParams, readQuery } from "../../../_lib/handler";
import { acquireStream, tooManyStreams } from "../../../_lib/stream-limit";

export const dynamic = "force-dynamic";

const HEARTBEAT_MS = 15_000;
/** A stream fed only by NOTIFY re-reads anyway this often, in case a hint was lost (the listener reconnecting). */
const SAFETY_READ_MS = 30_000;
/**
 * Bytes queued for a client before reading more events waits for it to catch up: a client that
 * reads slowly (or not at all) holds about this plus two pages of events in the portal's memory
 * (one queued, one in the socket's buffer), however many events the session has.
 */
const BUFFER_BYTES = 1024 * 1024;

/**
 * Live tail of one session: server-sent events fed by the portal's one shared LISTEN connection
 * (lib/events/live-listener.ts). A NOTIFY "<sessionId>:<seq>" from the gateway's recorder is only
 * a hint: the new events are re-read from the database after the viewer's last seq, with the
 * viewer's own visibility, exactly as GET /api/v1/sessions/{id}/events returns them.
 *
 * Messages: `event` (id = seq, data = one SessionEvent), `ended` (data = { endedAt, endReason },
 * then the stream closes), and `: ping` comments. Resume with `Last-Event-ID: <seq>` (browsers send
 * it when they reconnect) or start with `?after=<seq>`.
 */
export async function GET(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  let actor: Actor;
  let sessionId: string;
  let cursor: number;
  let release: (() => void) | null = null;
  try {
    actor = await authenticate(request);
    sessionId = (await readParams(context)).id;
    const query = readQuery(request, listSessionEventsQuerySchema);
    cursor = lastEventId(request) ?? query.after ?? 0;
    release = acquireStream("session", actor.id);
    if (!release) return tooManyStreams("live session streams open");
    await findVisibleSession(getDb(), actor, sessionId);
  } catch (error) {
    release?.();
    return errorResponse(error);
  }
  const releaseSlot = release;

  const db = getDb();
  const encoder = new TextEncoder();
  let closed = false;
  let cleanup: () => void = () => undefined;
  // Set when a read stopped because the client's queue is full; pull() resumes it.
  let stalled = false;
  let resume: () => void = () => undefined;

  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const write = (text: string) => {
          if (closed) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            cleanup();
          }
        };

        // One read at a time; hints that arrive meanwhile fold into one more read.
        let running: Promise<void> | null = null;
        let again = false;
        let checkEnd = false;
        const pump = (options: { end?: boolean } = {}) => {
          if (options.end) checkEnd = true;
          if (running) {
            again = true;
            return;
          }
          running = (async () => {
            do {
              again = false;
              const end = checkEnd;
              checkEnd = false;
              await readNew();
              if (end) await sendEndIfEnded();
            } while (again && !closed);
          })()
            .catch((error: unknown) => {
              // The session became invisible (or vanished): say so and stop.
              if (error instanceof AppError) {
                write(`event: gone\ndata: ${JSON.stringify({ message: error.message })}\n\n`);
                cleanup();
              } else {
                logUnexpected("Session stream read failed", error, { session: sessionId });
              }
            })
            .finally(() => {
              running = null;
            });
        };

        const readNew = async () => {
          while (!closed) {
            // Backpressure: nothing more is read while the client has not taken what is queued.
            if ((controller.desiredSize ?? 1) <= 0) {
              stalled = true;
              return;
            }
            const batch = await listSessionEvents(db, { actor, sessionId, afterSeq: cursor });
            let text = "";
            for (const event of batch) {
              text += `id: ${event.seq}\nevent: event\ndata: ${JSON.stringify(event)}\n\n`;
              cursor = event.seq;
            }
            if (text) write(text);
            if (batch.length < SESSION_EVENTS_PAGE) return;
          }
        };

        const sendEndIfEnded = async () => {
          const row = await findVisibleSession(db, actor, sessionId);
          if (!row.endedAt || closed) return;
          // Whatever the recorder committed before the end.
          await readNew();
          // Not all of it fits the client's queue yet: `ended` follows once pull() has read the rest.
          if (stalled) return;
          write(`event: ended\ndata: ${JSON.stringify({ endedAt: row.endedAt.toISOString(), endReason: row.endReason })}\n\n`);
          cleanup();
        };

        const prefix = `${sessionId}:`;
        const unsubscribe = getLiveListener().subscribe((event) => {
          if (event.topic === "reconnected") pump({ end: true });
          else if (event.topic === "sessionEvents" && event.id.startsWith(prefix)) {
            const seq = Number(event.id.slice(prefix.length));
            if (!(Number.isInteger(seq) && seq <= cursor)) pump();
          } else if (event.topic === "sessions" && event.id === sessionId) pump({ end: true });
        });
        const heartbeat = setInterval(() => write(": ping\n\n"), HEARTBEAT_MS);
        const safety = setInterval(() => pump({ end: true }), SAFETY_READ_MS);
        resume = () => {
          if (!stalled || closed) return;
          stalled = false;
          pump({ end: true });
        };
        cleanup = () => {
          if (closed) return;
          closed = true;
          releaseSlot();
          clearInterval(heartbeat);
          clearInterval(safety);
          unsubscribe();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        request.signal.addEventListener("abort", () => cleanup());

        // Reconnect after 1 s; then everything after the cursor (subscribed first, so nothing is missed).
        write(`retry: 1000\n: following session ${sessionId} after #${cursor}\n\n`);
        pump({ end: true });
      },
      pull() {
        resume();
      },
      cancel() {
        cleanup();
      },
    },
    { highWaterMark: BUFFER_BYTES, size: (chunk) => chunk.byteLength },
  );
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-store", "x-accel-buffering": "no" };

/**
 * HEAD: GET's checks and headers, without a stream (Next would otherwise run GET and never close
 * the stream it discards: a listener, two timers and one of the user's places, each time).
 */
export async function HEAD(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  try {
    const actor = await authenticate(request);
    const { id } = await readParams(context);
    readQuery(request, listSessionEventsQuerySchema);
    await findVisibleSession(getDb(), actor, id);
    return new Response(null, { headers: SSE_HEADERS });
  } catch (error) {
    return errorResponse(error);
  }
}

/** `Last-Event-ID: <seq>` as a browser's EventSource sends it when it reconnects; ignored unless a seq. */
function lastEventId(request: Request): number | undefined {
  const value = request.headers.get("last-event-id");
  if (!value || !/^\d{1,10}$/.test(value)) return undefined;
  const seq = Number(value);
  return seq <= MAX_SEQ ? seq : undefined;
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
