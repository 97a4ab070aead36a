import { logDatabaseUnavailable, logUnexpected } from "@/app/_lib/log";
import { getPortalUser, type PortalUser } from "@/app/auth";
import { AppError, isAppError, isDatabaseUnavailable } from "@/lib/errors";
import { assertSameOriginWrite, originOf } from "@/lib/http/csrf";
import { OAuthError } from "@/lib/oauth/errors";
import { readOAuthBody } from "@/lib/oauth/read-body";

// The OAuth endpoints' HTTP side: RFC error JSON ({error, error_description}), no caching of
// anything token-like, CORS for the endpoints browser-based MCP clients call (no cookies there),
// and bounded bodies.

export const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "content-type, authorization, mcp-protocol-version",
  "access-control-max-age": "600",
} as const;

export const NO_STORE = { "cache-control": "no-store", pragma: "no-cache" } as const;

export function preflight(): Response {
  return new Response(null, { status: 204, headers: CORS });
}

export function oauthJson(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { ...CORS, ...NO_STORE } });
}

export function oauthErrorResponse(error: unknown): Response {
  if (error instanceof OAuthError) return oauthJson(error.toJSON(), error.status);
  if (isDatabaseUnavailable(error)) {
    logDatabaseUnavailable(error);
    const response = oauthJson(
      { error: "temporarily_unavailable", error_description: "The database is unavailable; try again in a moment." },
      503,
    );
    response.headers.set("retry-after", "5");
    return response;
  }
  logUnexpected("Unhandled OAuth error", error);
  return oauthJson({ error: "server_error", error_description: "Internal error; it has been logged." }, 500);
}

/** The body as text, at most 16 KiB, of the given media type (`invalid_request` otherwise, saying why). */
export function readBody(request: Request, mediaType: string): Promise<string> {
  return readOAuthBody(request, mediaType);
}

/** A form body as a record; a parameter sent twice is refused (RFC 6749 §3.1). */
export function formRecord(text: string): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) {
    if (name in record) throw new OAuthError("invalid_request", `Parameter ${name.slice(0, 40)} is sent more than once.`);
    record[name] = value;
  }
  return record;
}

/**
 * The consent page's own calls: the signed-in user, and proof that the request comes from the
 * portal's pages (Origin / Sec-Fetch-Site) — the page's authorization id is bound to that user.
 */
export async function consentCaller(request: Request): Promise<PortalUser> {
  const user = await getPortalUser();
  if (!user) throw new AppError("UNAUTHENTICATED", "Your portal session ended; sign in again and restart from your MCP client.");
  const origins = [originOf(process.env.NEXTAUTH_URL), originOf(request.url)].filter((origin): origin is string => origin !== null);
  assertSameOriginWrite(request.headers, origins);
  return user;
}

/** The consent page's JSON error shape (what the portal's other pages use). */
export function consentErrorResponse(error: unknown): Response {
  if (isAppError(error)) {
    return Response.json(
      { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } },
      { status: error.status, headers: NO_STORE },
    );
  }
  if (isDatabaseUnavailable(error)) {
    logDatabaseUnavailable(error);
    return Response.json(
      { error: { code: "UNAVAILABLE", message: "The database is unavailable; try again in a moment." } },
      { status: 503, headers: { ...NO_STORE, "retry-after": "5" } },
    );
  }
  logUnexpected("Unhandled consent error", error);
  return Response.json({ error: { code: "INTERNAL", message: "Internal error; it has been logged." } }, { status: 500, headers: NO_STORE });
}

type RefusedMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * The methods an OAuth endpoint lacks: a 405 in OAuth's error JSON with Allow (Next's own 405 has
 * neither a body nor Allow). `export const { GET, HEAD, PUT, PATCH, DELETE } = oauthMethodsNotAllowed("POST");`
 */
export function oauthMethodsNotAllowed(...allowed: Array<"GET" | "POST">): Record<RefusedMethod, (request: Request) => Response> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const refuse = (request: Request): Response => {
    const response = oauthJson(
      {
        error: "invalid_request",
        error_description: `${request.method} is not allowed here; this endpoint answers ${allowed.join(", ")}.`,
      },
      405,
    );
    response.headers.set("allow", allow);
    return response;
  };
  return { GET: refuse, HEAD: refuse, POST: refuse, PUT: refuse, PATCH: refuse, DELETE: refuse };
}

/** A path under /oauth or /.well-known that is not an endpoint: a JSON 404 in OAuth's shape, not the portal's HTML page. */
export function oauthNotFound(request: Request): Response {
  const { pathname } = new URL(request.url);
  return oauthJson(
    {
      error: "invalid_request",
      error_description: `No such endpoint: ${request.method} ${pathname.slice(0, 200)}. See /.well-known/oauth-authorization-server`,
    },
    404,
  );
}
