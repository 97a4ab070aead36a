import type { z } from "zod";
import { getPortalUser } from "@/app/auth";
import type { Actor } from "@/lib/authz/permissions";
import { type Db, getDb } from "@/lib/db/client";
import { AppError, isAppError } from "@/lib/errors";
import { authenticateApiToken } from "@/lib/tokens/authenticate-api-token";
import { parseInput } from "@/lib/validate";

// The one shape of every /api/v1 handler: authenticate (bearer API token or portal session),
// run the domain action, map AppError to an HTTP status with a JSON body a person can act on.

const MAX_BODY_BYTES = 64 * 1024;

export function errorResponse(error: unknown): Response {
  if (isAppError(error)) {
    const headers: Record<string, string> = {};
    if (error.code === "UNAUTHENTICATED") headers["WWW-Authenticate"] = 'Bearer realm="tollgate"';
    return Response.json(
      { error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) } },
      { status: error.status, headers },
    );
  }
  console.error("Unhandled API error", error);
  return Response.json({ error: { code: "INTERNAL", message: "Internal error; it has been logged." } }, { status: 500 });
}

export async function authenticate(request: Request): Promise<Actor> {
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AppError("UNAUTHENTICATED", 'Authorization header must be "Bearer <token>".');
    return authenticateApiToken(getDb(), match[1]!);
  }
  const user = await getPortalUser();
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to the portal or send a personal API token as a Bearer token.");
  // Cookie-authenticated writes must come from the portal's own pages (CSRF).
  if (request.method !== "GET" && request.method !== "HEAD") {
    const origin = request.headers.get("origin");
    if (origin && origin !== new URL(request.url).origin && origin !== process.env.NEXTAUTH_URL?.replace(/\/$/, "")) {
      throw new AppError("FORBIDDEN", "Cross-site request refused.");
    }
  }
  return user;
}

export async function readJson<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const text = await request.text();
  if (text.length > MAX_BODY_BYTES) throw new AppError("BAD_REQUEST", `Body is larger than ${MAX_BODY_BYTES} bytes.`);
  let body: unknown = {};
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new AppError("BAD_REQUEST", "Body must be JSON.");
    }
  }
  return parseInput(schema, body);
}

/**
 * Parses the query string with a zod schema (the one lib/api/routes.ts documents), with the same
 * 400s as readJson. A repeated parameter counts with its first value, as URLSearchParams.get does.
 */
export function readQuery<T extends z.ZodType>(request: Request, schema: T): z.infer<T> {
  const query: Record<string, string> = {};
  for (const [name, value] of new URL(request.url).searchParams) {
    if (!Object.hasOwn(query, name)) query[name] = value;
  }
  return parseInput(schema, query);
}

export interface HandlerContext<P> {
  request: Request;
  actor: Actor;
  params: P;
  db: Db;
}

export function handle<P = Record<string, never>>(
  run: (context: HandlerContext<P>) => Promise<unknown>,
  /** `headers` are set on the success response only (e.g. Cache-Control: no-store for secrets shown once). */
  options: { status?: number; headers?: Record<string, string> } = {},
): (request: Request, context: { params: Promise<P> }) => Promise<Response> {
  return async (request, context) => {
    try {
      const actor = await authenticate(request);
      const params = context?.params ? await context.params : ({} as P);
      const result = await run({ request, actor, params, db: getDb() });
      return Response.json(result, { status: options.status ?? 200, headers: options.headers });
    } catch (error) {
      return errorResponse(error);
    }
  };
}
