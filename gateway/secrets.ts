import type { Logger } from "./log.ts";

// No secret in any message the gateway writes. The gateway knows the secrets of each session —
// the upstream credential it opened (header and env values) and the client's bearer token — so it
// removes them from the text it produces itself (errors to the client, recorded gateway events,
// log lines) and from upstream error text, before that text is sent, recorded or logged.

export const SCRUBBED = "[REDACTED]";

/**
 * Shorter values are not scrubbed: they would blank out ordinary words ("Bearer", "true", "1").
 * Credentials are long random strings; a value this short is not one.
 */
export const MIN_SECRET_LENGTH = 8;

/** Whitespace and control characters: "Bearer <token>" → the token; a value with a stray newline → its lines. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters separate the parts of a value
const SEPARATORS = /[\s\u0000-\u001f\u007f-\u009f]+/;

/**
 * The strings to look for, for a few secret values: each value, its parts (split at whitespace and
 * control characters, so the token of "Bearer <token>" is found on its own), and the JSON-escaped
 * and URL-encoded forms in which an error message may quote them. Longest first, so a whole value
 * is replaced before its parts.
 */
export function secretPatterns(values: Iterable<string | null | undefined>): string[] {
  const patterns = new Set<string>();
  const add = (candidate: string) => {
    if (candidate.length < MIN_SECRET_LENGTH) return;
    patterns.add(candidate);
    const escaped = JSON.stringify(candidate).slice(1, -1);
    if (escaped !== candidate) patterns.add(escaped);
    const encoded = encodeURIComponent(candidate);
    if (encoded !== candidate) patterns.add(encoded);
  };
  for (const value of values) {
    if (!value) continue;
    add(value);
    add(value.trim());
    for (const part of value.split(SEPARATORS)) add(part);
  }
  return [...patterns].sort((a, b) => b.length - a.length);
}

/** The secrets of a session: its upstream credential's header and env values, and the client's bearer token. */
export function sessionSecrets(options: {
  credential?: { headers?: Record<string, string>; env?: Record<string, string> };
  bearer?: string | null;
}): string[] {
  return secretPatterns([
    ...Object.values(options.credential?.headers ?? {}),
    ...Object.values(options.credential?.env ?? {}),
    options.bearer,
  ]);
}

/** The bearer token of an Authorization header, if any (for scrubbing; authentication parses it itself). */
export function bearerOf(authorization: string | string[] | undefined): string | null {
  const value = Array.isArray(authorization) ? authorization[0] : authorization;
  return value ? (/^\s*Bearer\s+(\S+)/i.exec(value)?.[1] ?? value) : null;
}

/** `text` with every occurrence of each secret pattern replaced by `[REDACTED]`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) if (result.includes(secret)) result = result.split(secret).join(SCRUBBED);
  return result;
}

/** A JSON-like value with every string (keys included) scrubbed; unchanged parts are returned as they are. */
export function scrubDeep<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  return scrubValue(value, secrets, 0) as T;
}

function scrubValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === "string") return scrubSecrets(value, secrets);
  if (value === null || typeof value !== "object" || depth > 64) return value;
  if (value instanceof Error) return scrubSecrets(value.message, secrets);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) result[scrubSecrets(key, secrets)] = scrubValue(item, secrets, depth + 1);
  return result;
}

/** A logger whose messages, fields and child bindings are scrubbed of `secrets` before pino sees them. */
export function scrubbingLogger(log: Logger, secrets: readonly string[]): Logger {
  if (secrets.length === 0) return log;
  const scrub = (fields?: Record<string, unknown>) => (fields ? scrubDeep(fields, secrets) : undefined);
  return {
    info: (message, fields) => log.info(scrubSecrets(message, secrets), scrub(fields)),
    warn: (message, fields) => log.warn(scrubSecrets(message, secrets), scrub(fields)),
    error: (message, fields) => log.error(scrubSecrets(message, secrets), scrub(fields)),
    child: (bindings) => scrubbingLogger(log.child(scrubDeep(bindings, secrets)), secrets),
  };
}
