import { randomBytes } from "node:crypto";
import path from "node:path";
import { createAccessRequest } from "../lib/access/create-access-request.ts";
import { decideAccessRequest } from "../lib/access/decide-access-request.ts";
import type { Actor } from "../lib/authz/permissions.ts";
import type { Db } from "../lib/db/client.ts";
import { argumentsHash, targetOf } from "../lib/held-calls/arguments.ts";
import { createHeldCall } from "../lib/held-calls/create-held-call.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import { startSession } from "../lib/recording/sessions.ts";
import { createApiToken } from "../lib/tokens/create-api-token.ts";
import { mintGatewayToken } from "../lib/tokens/mint-gateway-token.ts";
import { seedDemo } from "./fixtures.ts";
import { createTestDatabase, type TestDatabase } from "./postgres.ts";

// The portal's route handlers (app/**/route.ts), called in-process as Next calls them — a Request
// and `{ params }` already percent-decoded — against a real Postgres database of their own. The
// API attack tests (test/api-attacks.test.ts) use it; e2e/api-*.spec.ts attack the built portal.

export const ROOT = path.resolve(import.meta.dirname, "..");
export const ORIGIN = "http://127.0.0.1:3000";
export type Who = "alice" | "bob" | "carol";
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
export type Method = (typeof HTTP_METHODS)[number];

type RouteHandler = (request: Request, context: { params: Promise<Record<string, string>> }) => Response | Promise<Response>;

/** The objects each demo user owns, for authorization checks. */
export interface Objects {
  accessRequest: string;
  grant: string;
  gatewayToken: string;
  apiToken: string;
  /** Another API token of the user's, for tests that revoke one (the user keeps signing in with the first). */
  spareApiToken: string;
  session: string;
  heldCall: string;
}

export interface ApiHarness {
  t: TestDatabase;
  users: Record<Who, Actor>;
  /** Each user's personal API token (plaintext). */
  tokens: Record<Who, string>;
  /** Pending requests, active grants, sessions and held calls of alice and of bob. */
  objects: { alice: Objects; bob: Objects };
  vaultKey: string;
  drop(): Promise<void>;
}

export interface Call {
  method: Method;
  /** A route template: `/api/v1/grants/{id}/revoke`, `/oauth/token`. */
  template: string;
  /** Path parameters as Next hands them to the route (decoded). */
  params?: Record<string, string>;
  /** The raw query string, without `?`. */
  query?: string;
  as?: Who | null;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or undefined when it is not JSON. */
  json: unknown;
  /** The route file exports no handler for the method: Next's own 405, with an empty body. */
  nextDefault405: boolean;
}

/** The route file of a template: /api/v1/grants/{id}/revoke → app/api/v1/grants/[id]/revoke/route.ts. */
export function routeFile(template: string): string {
  return path.join(
    ROOT,
    "app",
    ...template
      .split("/")
      .filter(Boolean)
      .map((part) => part.replace(/^\{(.+)\}$/, "[$1]")),
    "route.ts",
  );
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

function routeModule(template: string): Promise<Record<string, unknown>> {
  const file = routeFile(template);
  let loaded = modules.get(file);
  if (!loaded) {
    loaded = import(file) as Promise<Record<string, unknown>>;
    modules.set(file, loaded);
  }
  return loaded;
}

/** A path segment as a client would send it; a lone surrogate (not encodable) as its replacement character. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"));
}

const STREAMING = /text\/event-stream|application\/x-ndjson|text\/plain/;

export function createCaller(harness: Pick<ApiHarness, "tokens">) {
  return async function call(request: Call): Promise<Answer> {
    const params = request.params ?? {};
    const urlPath = request.template.replace(/\{([^}]+)\}/g, (_, name: string) => encodeSegment(params[name] ?? ""));
    const headers = new Headers(request.headers);
    if (request.as) headers.set("authorization", `Bearer ${harness.tokens[request.as]}`);
    const module = await routeModule(request.template);
    // Next answers HEAD with a route's GET when it has no HEAD of its own.
    const handler = (module[request.method] ?? (request.method === "HEAD" ? module.GET : undefined)) as RouteHandler | undefined;
    if (!handler) {
      return { status: 405, headers: new Headers(), text: "", json: undefined, nextDefault405: true };
    }
    const url = `${ORIGIN}${urlPath}${request.query ? `?${request.query}` : ""}`;
    const hasBody = request.body !== undefined && request.method !== "GET" && request.method !== "HEAD";
    // As on the wire: a body comes with its length (Next's Request has the header; undici's does not add it).
    if (hasBody && !headers.has("content-length")) {
      headers.set("content-length", String(typeof request.body === "string" ? Buffer.byteLength(request.body) : request.body!.byteLength));
    }
    const response = await handler(
      new Request(url, { method: request.method, headers, ...(hasBody ? { body: request.body, duplex: "half" } : {}) } as RequestInit),
      { params: Promise.resolve(params) },
    );
    const type = response.headers.get("content-type") ?? "";
    if (response.ok && STREAMING.test(type)) {
      // A live stream or an export: its headers say enough; do not hold it open.
      await response.body?.cancel().catch(() => undefined);
      return { status: response.status, headers: response.headers, text: "", json: undefined, nextDefault405: false };
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json, nextDefault405: false };
  };
}

/** A fingerprint of every row of every table (but last-used/seen times, which authentication touches). */
export async function fingerprint(db: Db): Promise<string> {
  const tables = await db.$queryRawUnsafe<Array<{ table_name: string }>>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations' ORDER BY table_name",
  );
  const parts = tables.map(
    ({ table_name: name }) =>
      `SELECT '${name}' AS t, count(*)::int AS n, coalesce(md5(string_agg(r, ',' ORDER BY r)), '') AS h FROM ` +
      `(SELECT (to_jsonb(x) - 'lastUsedAt' - 'lastSeenAt')::text AS r FROM "${name}" x) rows`,
  );
  const rows = await db.$queryRawUnsafe<Array<{ t: string; n: number; h: string }>>(parts.join(" UNION ALL "));
  return rows
    .map((row) => `${row.t}:${row.n}:${row.h}`)
    .sort()
    .join("\n");
}

/**
 * A fresh database with the demo users (alice requester, bob approver, carol admin), an API token
 * each, and for alice and bob each: a pending access request, an active grant with a gateway
 * token, a session on it and a held call in that session. DATABASE_URL and the vault key are set
 * for the route handlers, which read them from the environment.
 */
export async function createApiHarness(): Promise<ApiHarness> {
  const t = await createTestDatabase();
  const vaultKey = randomBytes(32).toString("base64");
  process.env.DATABASE_URL = t.url;
  process.env.TOLLGATE_SECRET_KEY = vaultKey;
  process.env.NEXTAUTH_URL = ORIGIN;
  const users = await seedDemo(t.db);
  const tokens = {} as Record<Who, string>;
  const apiTokenIds = {} as Record<Who, string>;
  for (const who of ["alice", "bob", "carol"] as const) {
    const created = await createApiToken(t.db, { actor: users[who], name: `${who}'s token` });
    tokens[who] = created.token;
    apiTokenIds[who] = created.id;
  }
  const connection = await t.db.connection.findUniqueOrThrow({ where: { slug: "everything" } });
  await savePolicy(t.db, {
    actor: users.carol,
    target: { kind: "connection", slug: "everything" },
    document: { default: "allow", rules: [] },
  });
  await savePolicy(t.db, { actor: users.carol, target: { kind: "global" }, document: { default: "allow", rules: [] } });

  async function objectsOf(who: "alice" | "bob", approver: Actor): Promise<Objects> {
    const actor = users[who];
    const granted = await createAccessRequest(t.db, { actor, connectionSlug: "everything", minutes: 30, reason: `${who} works` });
    const decided = await decideAccessRequest(t.db, { actor: approver, requestId: granted.id, decision: "APPROVE" });
    const grant = decided.grant!.id;
    await mintGatewayToken(t.db, { actor, grantId: grant });
    const gatewayToken = (await t.db.gatewayToken.findFirstOrThrow({ where: { grantId: grant } })).id;
    const pending = await createAccessRequest(t.db, { actor, connectionSlug: "everything", minutes: 5, reason: `${who} asks again` });
    const session = await startSession(t.db, {
      grantId: grant,
      userId: actor.id,
      connectionId: connection.id,
      transport: "streamable-http",
    });
    const callParams = { name: "run_sql", arguments: { sql: `select '${who}'` } };
    const held = await createHeldCall(t.db, {
      callerId: actor.id,
      sessionId: session,
      connectionId: connection.id,
      rpcId: 1,
      method: "tools/call",
      tool: targetOf("tools/call", callParams),
      arguments: callParams,
      argumentsHash: argumentsHash(callParams),
      rule: { id: "ask-sql", scope: "connection" },
      deadline: new Date(Date.now() + 30 * 60_000),
      gatewayInstance: "gw-test",
    });
    const spare = await createApiToken(t.db, { actor, name: `${who}'s spare token` });
    return {
      spareApiToken: spare.id,
      accessRequest: pending.id,
      grant,
      gatewayToken,
      apiToken: apiTokenIds[who],
      session,
      heldCall: held.id,
    };
  }
  const objects = { alice: await objectsOf("alice", users.bob), bob: await objectsOf("bob", users.carol) };
  return { t, users, tokens, objects, vaultKey, drop: () => t.drop() };
}
