import pino from "pino";
import { REDACT_PATHS, REDACTED } from "@/gateway/log";

// The portal's server-side logs, in the gateway's format (gateway/log.ts): one pino JSON object
// per line on stderr with `time`, `level`, `component: "portal"`, `message` and fields, and the
// same redaction of secret-named keys. Errors are logged as name, message, code and stack, with
// token-shaped strings replaced too: a database error's message can quote the values of a query.

/** Tollgate's own tokens (API, gateway, refresh, client ids) and any bearer credential. */
const TOKEN_SHAPED = /\b(?:tg|tgg|tgr|tgc)_[A-Za-z0-9_-]{6,}|\bBearer\s+[^\s"',;]+/gi;

/** `text` with token-shaped substrings replaced by [REDACTED]. */
export function scrubTokens(text: string): string {
  return text.replace(TOKEN_SHAPED, REDACTED);
}

/** An error as log fields: never the object itself (its own properties may carry request data). */
export function errorFields(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: scrubTokens(String(error)).slice(0, 2000) };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: scrubTokens(error.message).slice(0, 4000),
    ...(typeof code === "string" ? { code } : {}),
    ...(error.stack ? { stack: scrubTokens(error.stack).slice(0, 8000) } : {}),
  };
}

export interface PortalLogger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** A portal logger; `sink` receives each line instead of stderr (tests). */
export function createPortalLogger(options: { sink?: (line: string) => void } = {}): PortalLogger {
  const sink = options.sink;
  const logger = pino(
    {
      level: "info",
      base: { component: "portal" },
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
    },
    sink ? { write: (chunk: string) => sink(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) } : pino.destination({ fd: 2, sync: true }),
  );
  return {
    error: (message, fields) => (fields ? logger.error(fields, message) : logger.error(message)),
    warn: (message, fields) => (fields ? logger.warn(fields, message) : logger.warn(message)),
  };
}

let shared: PortalLogger | undefined;

/** Logs an unexpected error of a route handler (the client gets a generic 500). */
export function logUnexpected(message: string, error: unknown, fields: Record<string, unknown> = {}): void {
  shared ??= createPortalLogger();
  shared.error(message, { ...fields, error: errorFields(error) });
}

/** Logs that the database could not be reached (the client gets a 503): one short line, not the query. */
export function logDatabaseUnavailable(error: unknown): void {
  shared ??= createPortalLogger();
  const code = (error as { code?: unknown } | null)?.code;
  shared.warn("Database unavailable", { error: { name: error instanceof Error ? error.name : typeof error, code } });
}
