import type { AppErrorCode } from "@/lib/errors";

// Long-lived server-sent event streams held per user in this portal process. Every stream is a
// subscriber of the shared LISTEN connection and re-reads the database on hints and on a timer, so
// one caller with an API token could otherwise open them without bound.

/** The most streams of one kind one user may hold open at once (browsers: a few tabs; scripts: a few followers). */
export const MAX_STREAMS_PER_USER = 16;
/** The most exports one user may be downloading at once: each reads whole recordings from the database. */
export const MAX_EXPORTS_PER_USER = 4;

const open = new Map<string, number>();

/**
 * Takes one of the user's stream slots for `kind`; the returned function gives it back (once,
 * however often it is called). Null when the user already holds `max` of them.
 */
export function acquireStream(kind: string, userId: string, max: number = MAX_STREAMS_PER_USER): (() => void) | null {
  const key = `${kind}\u0001${userId}`;
  const count = open.get(key) ?? 0;
  if (count >= max) return null;
  open.set(key, count + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (open.get(key) ?? 1) - 1;
    if (left <= 0) open.delete(key);
    else open.set(key, left);
  };
}

/** 429 for a user over the limit, with Retry-After. */
export function tooManyStreams(what: string, max: number = MAX_STREAMS_PER_USER): Response {
  return Response.json(
    {
      error: {
        code: "TOO_MANY_STREAMS" satisfies AppErrorCode,
        message: `You already have ${max} ${what}; close one (another tab or script) or let it finish, and try again.`,
      },
    },
    { status: 429, headers: { "Retry-After": "5" } },
  );
}

/** `body`, calling `release` once it ends, fails or is cancelled by the client. */
export function releaseWhenDone(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason);
    },
  });
}
