// Same-origin JSON client for /api/v1. The session cookie authenticates; errors become ApiError.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field?: string;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; field?: unknown };
}

export async function apiFetch<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, headers, ...rest } = init;
  const requestHeaders = new Headers(headers);
  requestHeaders.set("accept", "application/json");
  let body = rest.body;
  // The API takes only JSON writes (anything else is a 415), even when there is nothing to send.
  const write = !["GET", "HEAD"].includes((rest.method ?? "GET").toUpperCase());
  const payload = json === undefined && write && body == null ? {} : json;
  if (payload !== undefined) {
    requestHeaders.set("content-type", "application/json");
    body = JSON.stringify(payload);
  }

  let response: Response;
  try {
    response = await fetch(path, { credentials: "same-origin", cache: "no-store", ...rest, headers: requestHeaders, body });
  } catch {
    throw new ApiError(0, "NETWORK", "Could not reach the Tollgate portal. Check your connection and try again.");
  }

  const text = await response.text();
  let parsed: unknown;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }

  if (!response.ok) {
    const error = (parsed as ErrorBody | undefined)?.error;
    const code = typeof error?.code === "string" ? error.code : `HTTP_${response.status}`;
    const message =
      typeof error?.message === "string"
        ? error.message
        : response.status === 401
          ? "Your session has ended. Reload the page to sign in again."
          : `The request failed (${response.status} ${response.statusText || "error"}).`;
    const field = typeof error?.field === "string" ? error.field : undefined;
    throw new ApiError(response.status, code, message, field);
  }
  return parsed as T;
}

/** The message to show for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return "Something went wrong.";
}
