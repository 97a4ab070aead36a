// Long-lived server-sent event streams held per user in this portal process. Every stream is a
// subscriber of the shared LISTEN connection and re-reads the database on hints and on a timer, so
// one caller with an API token could otherwise open them without bound.

/** The most streams of one kind one user may hold open at once (browsers: a few tabs; scripts: a few followers). */
export const MAX_STREAMS_PER_USER = 16;

const open = new Map<string, number>();

/**
 * Takes one of the user's stream slots for `kind`; the returned function gives it back (once,
 * however often it is called). Null when the user already holds MAX_STREAMS_PER_USER of them.
 */
export function acquireStream(kind: string, userId: string): (() => void) | null {
  const key = `${kind}\u0001${userId}`;
  const count = open.get(key) ?? 0;
  if (count >= MAX_STREAMS_PER_USER) return null;
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
export function tooManyStreams(what: string): Response {
  return Response.json(
    {
      error: {
        code: "TOO_MANY_STREAMS",
        message: `You already have ${MAX_STREAMS_PER_USER} ${what} open; close one (another tab or script) and try again.`,
      },
    },
    { status: 429, headers: { "Retry-After": "5" } },
  );
}
