import pino from "pino";

// Structured logs (pino): one JSON object per line on stderr, with `time`, `level` (a label),
// `component`, the fields and `message`. Callers pass identifiers and error messages only, never
// tokens, credentials or message payloads; redaction below is the safety net if one slips in.

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `bindings` to every line (e.g. `{ session, connection, user }`). */
  child(bindings: Record<string, unknown>): Logger;
}

export const REDACTED = "[REDACTED]";

/** Keys whose values never reach a log line, wherever they appear (top level, or nested up to two levels). */
const SECRET_KEYS = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "Proxy-Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "Set-Cookie",
  "x-api-key",
  "X-Api-Key",
  "apiKey",
  "api_key",
  "credential",
  "credentials",
  "token",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "password",
  "secret",
  "clientSecret",
  "client_secret",
];
/** Objects whose every value is redacted (a stdio child's environment). */
const SECRET_MAPS = ["env"];

const key = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);

export const REDACT_PATHS: string[] = ["", "*", "*.*"].flatMap((prefix) => [
  ...SECRET_KEYS.map((name) => `${prefix}${key(name)}`.replace(/^\./, "")),
  ...SECRET_MAPS.map((name) => `${prefix}${key(name)}.*`.replace(/^\./, "")),
]);

export interface LoggerOptions {
  /** Drop `info` lines (warnings and errors only). */
  quiet?: boolean;
  /** Receives each line (without its newline) instead of stderr: tests capture logs with this. */
  sink?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const sink = options.sink;
  const destination = sink
    ? { write: (chunk: string) => sink(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) }
    : pino.destination({ fd: 2, sync: true });
  return wrap(
    pino(
      {
        level: options.quiet ? "warn" : "info",
        base: { component: "gateway" },
        messageKey: "message",
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        redact: { paths: REDACT_PATHS, censor: REDACTED },
      },
      destination,
    ),
  );
}

function wrap(logger: pino.Logger): Logger {
  return {
    info: (message, fields) => (fields ? logger.info(fields, message) : logger.info(message)),
    warn: (message, fields) => (fields ? logger.warn(fields, message) : logger.warn(message)),
    error: (message, fields) => (fields ? logger.error(fields, message) : logger.error(message)),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}
