// One error type for the domain; route handlers map `code` to an HTTP status with HTTP_STATUS.

export const HTTP_STATUS = {
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  /** The path has no such method (the answer's Allow header names those it has). */
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A per-user limit of streams, exports or verifications running at once (with Retry-After). */
  TOO_MANY_STREAMS: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type AppErrorCode = keyof typeof HTTP_STATUS;

export class AppError extends Error {
  readonly code: AppErrorCode;
  /** The input field at fault, for 400s. */
  readonly field?: string;

  constructor(code: AppErrorCode, message: string, options: { field?: string } = {}) {
    super(message);
    this.name = "AppError";
    this.code = code;
    this.field = options.field;
  }

  get status(): number {
    return HTTP_STATUS[this.code];
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/**
 * Prisma's codes for "the database cannot be reached or answered too late" (P1001 unreachable,
 * P1002 and P1008 timeouts, P1017 connection closed, P2024 no pooled connection in time).
 */
const DATABASE_UNAVAILABLE_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);

/** Whether an error says the database is down or overloaded (a 503 to retry, not a bug). Duck-typed: lib/ needs no Prisma runtime here. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    error instanceof Error &&
    error.name === "PrismaClientKnownRequestError" &&
    typeof code === "string" &&
    DATABASE_UNAVAILABLE_CODES.has(code)
  );
}
