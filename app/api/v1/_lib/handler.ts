import type { z } from "zod";
import { logDatabaseUnavailable, logUnexpected } from "@/app/_lib/log";
import { getPortalUser } from "@/app/auth";
import { type Actor, can, type Permission, ROLE_PERMISSIONS } from "@/lib/authz/permissions";
import { type Db, getDb } from "@/lib/db/client";
import { AppError, type AppErrorCode, isAppError, isDatabaseUnavailable } from "@/lib/errors";
import {
  assertDeclaredLengthWithin,
  assertJsonContentType,
  declaresBody,
  isWriteMethod,
  MAX_BODY_BYTES,
  readJsonBody,
} from "@/lib/http/body";
import { assertSameOriginWrite, originOf } from "@/lib/http/csrf";
import { authenticateApiToken } from "@/lib/tokens/authenticate-api-token";
import { authenticateApiJwt, InvalidBearerTokenError } from "@/lib/users/service-accounts";
import { parseInput, shortField, unstorableText } from "@/lib/validate";
import { acquireStream, tooManyStreams } from "./stream-limit";

// The one shape of every /api/v1 handler: authenticate (bearer API token or portal session, the
// latter with CSRF checks on writes), check the route's permission, check a write's declared
// size and content type, run the domain action (which reads the body with readJson, bounded),
// and map AppError to an HTTP status with a JSON body a person can act on.

/** The longest error message sent. */
const MAX_MESSAGE_LENGTH = 1_000;

export function errorResponse(error: unknown): Response {
  if (isAppError(error)) {
    const headers: Record<string, string> = {};
    if (error instanceof InvalidBearerTokenError) {
      // RFC 6750: a presented token that is refused; the description is plain ASCII without quotes.
      const description = error.message.replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "'");
      headers["WWW-Authenticate"] = `Bearer realm="tollgate", error="invalid_token", error_description="${description}"`;
      return Response.json(
        { error: { code: error.code, reason: error.reason, message: error.message } },
        { status: error.status, headers },
      );
    }
    if (error.code === "UNAUTHENTICATED") headers["WWW-Authenticate"] = 'Bearer realm="tollgate"';
    // The rest of an oversized body is not worth reading to keep the connection alive.
    if (error.code === "PAYLOAD_TOO_LARGE") headers.Connection = "close";
    // A message quotes the input at fault; an enormous input is not sent back whole.
    const message = error.message.length > MAX_MESSAGE_LENGTH ? `${error.message.slice(0, MAX_MESSAGE_LENGTH - 1)}…` : error.message;
    return Response.json(
      { error: { code: error.code, message, ...(error.field ? { field: error.field } : {}) } },
      { status: error.status, headers },
    );
  }
  if (isDatabaseUnavailable(error)) {
    logDatabaseUnavailable(error);
    return Response.json(
      { error: { code: "UNAVAILABLE", message: "The database is unavailable; try again in a moment." } },
      { status: 503, headers: { "Retry-After": "5" } },
    );
  }
  logUnexpected("Unhandled API error", error);
  return Response.json({ error: { code: "INTERNAL", message: "Internal error; it has been logged." } }, { status: 500 });
}

type Authenticated = { actor: Actor; via: "bearer" | "cookie" };

async function authenticateRequest(request: Request): Promise<Authenticated> {
  const authorization = request.headers.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw new AppError("UNAUTHENTICATED", 'Authorization header must be "Bearer <token>".');
    // A service account's IdP-issued JWT, or a personal API token (tg_…).
    const serviceAccount = await authenticateApiJwt(getDb(), match[1]!);
    if (serviceAccount) return { actor: serviceAccount, via: "bearer" };
    return { actor: await authenticateApiToken(getDb(), match[1]!), via: "bearer" };
  }
  const user = await getPortalUser();
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to the portal or send a personal API token as a Bearer token.");
  // A browser attaches the session cookie to any request to the portal, whoever's page made it:
  // writes must provably come from the portal's own pages (CSRF).
  if (isWriteMethod(request.method)) assertSameOriginWrite(request.headers, portalOrigins(request));
  return { actor: user, via: "cookie" };
}

/** The caller: a bearer API token, or the portal session (whose writes must come from the portal's own origin). */
export async function authenticate(request: Request): Promise<Actor> {
  return (await authenticateRequest(request)).actor;
}

/**
 * An export (a GET that writes an audit event) with the portal's session cookie must come from the
 * portal's own pages or the address bar (Sec-Fetch-Site same-origin or none): a link on another
 * site must not make a signed-in browser export, and audit an export, without its user asking.
 */
export function assertNotCrossSite(request: Request): void {
  if (request.headers.has("authorization")) return;
  const site = request.headers.get("sec-fetch-site");
  if (site === "cross-site" || site === "same-site") {
    throw new AppError("FORBIDDEN", "Exports start from the portal's own pages: use the Export menu in Tollgate, or an API token.");
  }
}

/** The portal's own origins: NEXTAUTH_URL (its public origin) and the origin the request was addressed to. */
function portalOrigins(request: Request): string[] {
  return [originOf(process.env.NEXTAUTH_URL), originOf(request.url)].filter((origin): origin is string => origin !== null);
}

function assertPermission(actor: Actor, permission: Permission): void {
  if (can(actor, permission)) return;
  const roles = Object.entries(ROLE_PERMISSIONS)
    .filter(([, permissions]) => permissions.includes(permission))
    .map(([role]) => role);
  throw new AppError(
    "FORBIDDEN",
    `Your roles (${actor.roles.join(", ") || "none"}) do not allow this: it needs the ${permission} permission (${roles.join(", ")}).`,
  );
}

/** How deep a request body may nest: the gateway's limit on MCP messages (gateway/listen/body.ts). */
export const MAX_BODY_DEPTH = 64;

/**
 * Reads the request's JSON body and parses it with a zod schema: at most MAX_BODY_BYTES, read
 * incrementally and abandoned as soon as it is over (413); a body that is not application/json is
 * a 415; bad JSON, JSON that is not an object, nesting deeper than MAX_BODY_DEPTH, text Postgres
 * cannot store or a schema mismatch a 400 naming the field. An empty body counts as `{}`.
 */
export async function readJson<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const body = await readJsonBody(request, { maxBytes: MAX_BODY_BYTES });
  if (body === undefined) return parseInput(schema, {});
  // `null` is not "no body": a decision or revocation must not run on a body that says nothing.
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    const what = body === null ? "null" : Array.isArray(body) ? "an array" : `a ${typeof body}`;
    throw new AppError("BAD_REQUEST", `The body must be a JSON object ({ … }), not ${what}.`);
  }
  assertStorable(body, "", 0);
  return parseInput(schema, body);
}

/**
 * Postgres cannot store U+0000 in text or jsonb, nor a lone surrogate in jsonb: such a string (or
 * key) anywhere would be a database error, so it is a 400 naming the field before any query runs.
 * Nesting is bounded first, so this walk (and zod's) cannot exhaust the stack.
 */
function assertStorable(value: unknown, path: string, depth: number): void {
  if (typeof value === "string") {
    const problem = unstorableText(value);
    if (problem) throw new AppError("BAD_REQUEST", `${shortField(path) || "body"}: ${problem}.`, { field: shortField(path) || undefined });
    return;
  }
  if (typeof value !== "object" || value === null) return;
  if (depth >= MAX_BODY_DEPTH) {
    throw new AppError("BAD_REQUEST", `The body nests deeper than ${MAX_BODY_DEPTH} levels of objects and arrays.`, {
      field: shortField(path) || undefined,
    });
  }
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) assertStorable(item, path ? `${path}.${index}` : String(index), depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    assertStorable(key, field, depth + 1);
    assertStorable(item, field, depth + 1);
  }
}

/** The longest id, slug or version a path may name (cuids and UUIDs are 25–36 characters, slugs at most 64). */
const MAX_PATH_PARAM_LENGTH = 200;

/** A route's path parameters (Next decodes %00 to a NUL, which Postgres refuses): a NUL is a 400. */
export async function readParams<P>(context: { params: Promise<P> } | undefined): Promise<P> {
  const params = context?.params ? await context.params : ({} as P);
  for (const value of Object.values(params as Record<string, unknown>)) {
    const values = Array.isArray(value) ? value : [value];
    for (const part of values) {
      const problem = typeof part === "string" ? unstorableText(part) : null;
      if (problem) throw new AppError("BAD_REQUEST", `The path ${problem.replace("(\\u0000)", "(%00)")}.`);
      // Ids, slugs and versions are short: a longer one names nothing, and is not echoed back.
      if (typeof part === "string" && part.length > MAX_PATH_PARAM_LENGTH) {
        throw new AppError(
          "NOT_FOUND",
          `Nothing here has an id or name that long (${part.length} characters; at most ${MAX_PATH_PARAM_LENGTH}).`,
        );
      }
    }
  }
  return params;
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
  assertStorable(query, "", 0);
  return parseInput(schema, query);
}

export interface HandlerContext<P> {
  request: Request;
  actor: Actor;
  params: P;
  db: Db;
}

export interface HandleOptions {
  /** Success status; default 200. */
  status?: number;
  /** Set on the success response only (e.g. Cache-Control: no-store for secrets shown once). */
  headers?: Record<string, string>;
  /**
   * The permission every caller needs, checked right after authentication: before the body is
   * read or parsed, so a caller without it gets 403 whatever they sent.
   */
  permission?: Permission;
  /**
   * At most `max` of one user's requests to this route run at once (one more: 429), for routes
   * that read a whole recording; `what` names them in the refusal ("session verifications").
   */
  perUser?: { max: number; what: string };
}

export function handle<P = Record<string, never>>(
  run: (context: HandlerContext<P>) => Promise<unknown>,
  options: HandleOptions = {},
): (request: Request, context: { params: Promise<P> }) => Promise<Response> {
  return async (request, context) => {
    let release: (() => void) | null = null;
    try {
      const { actor, via } = await authenticateRequest(request);
      if (options.permission) assertPermission(actor, options.permission);
      if (options.perUser) {
        release = acquireStream(options.perUser.what, actor.id, options.perUser.max);
        if (!release) return tooManyStreams(options.perUser.what, options.perUser.max);
      }
      if (isWriteMethod(request.method)) {
        assertDeclaredLengthWithin(request.headers, MAX_BODY_BYTES);
        // Writes are JSON. From a browser always (an HTML form or a no-cors fetch cannot send
        // application/json without a CORS preflight); a script may leave out a body and its type.
        assertJsonContentType(request.headers, { required: via === "cookie" || declaresBody(request.headers) });
      }
      const params = await readParams(context);
      const result = await run({ request, actor, params, db: getDb() });
      return Response.json(result, { status: options.status ?? 200, headers: options.headers });
    } catch (error) {
      return errorResponse(error);
    } finally {
      release?.();
    }
  };
}

type MethodHandler = (request: Request) => Response;

/**
 * The methods a route does not have: a JSON 405 with Allow naming the ones it has (Next's own 405
 * has neither), and OPTIONS answering with the same Allow. A route exports the ones it lacks:
 * `export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");`
 */
export function methodsNotAllowed(
  ...allowed: Array<"GET" | "POST" | "PUT" | "PATCH" | "DELETE">
): Record<"GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS", MethodHandler> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"].join(", ");
  const refuse: MethodHandler = (request) =>
    Response.json(
      {
        error: {
          code: "METHOD_NOT_ALLOWED" satisfies AppErrorCode,
          message: `${request.method} is not allowed here; this route answers ${allowed.join(", ")}.`,
        },
      },
      { status: 405, headers: { Allow: allow } },
    );
  const options: MethodHandler = () => new Response(null, { status: 204, headers: { Allow: allow } });
  return { GET: refuse, HEAD: refuse, POST: refuse, PUT: refuse, PATCH: refuse, DELETE: refuse, OPTIONS: options };
}
