import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { PortalUser } from "../app/auth.ts";
import { openApiDocument } from "../lib/api/openapi.ts";
import { API_ROUTES, type ApiRoute } from "../lib/api/routes.ts";
import { createDb, type Db } from "../lib/db/client.ts";
import { MAX_BODY_BYTES } from "../lib/http/body.ts";
import { unstorableText } from "../lib/validate.ts";
import {
  type Answer,
  type ApiHarness,
  type Call,
  createApiHarness,
  createCaller,
  fingerprint,
  HTTP_METHODS,
  type Method,
  ORIGIN,
  type Who,
} from "./api-harness.ts";

// Hostile input against every route of the portal's API — each path × method of the OpenAPI
// document, plus the OAuth endpoints — through the real route handlers on a real database.
// Whatever is sent, the answer is a 4xx with a JSON error a person can act on (never a 5xx, a
// stack trace or a secret), and a refused request changes nothing in the database.

const portal = vi.hoisted(() => ({ user: null as PortalUser | null }));
vi.mock("../app/auth.ts", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../app/auth.ts")>()),
  // The portal session cookie: next-auth needs a Next request scope, so tests say who is signed in.
  getPortalUser: async () => portal.user,
}));

let h: ApiHarness;
let call: (request: Call) => Promise<Answer>;

beforeAll(async () => {
  h = await createApiHarness();
  call = createCaller(h);
}, 120_000);
afterAll(async () => h?.drop());

interface Operation {
  method: Method;
  template: string;
  route?: ApiRoute;
  /** Answered without authentication. */
  public: boolean;
  /** The JSON body schema, when it has one. */
  hasBody: boolean;
  /** Streams a response, or writes an audit event when it succeeds although it is a GET. */
  writesOnSuccess: boolean;
}

const OAUTH_OPERATIONS: Operation[] = [
  { method: "POST", template: "/oauth/register", public: true, hasBody: true, writesOnSuccess: true },
  { method: "POST", template: "/oauth/token", public: true, hasBody: true, writesOnSuccess: true },
  { method: "POST", template: "/oauth/authorize/decide", public: false, hasBody: true, writesOnSuccess: true },
  { method: "POST", template: "/oauth/authorize/status", public: false, hasBody: true, writesOnSuccess: true },
  { method: "GET", template: "/.well-known/oauth-authorization-server", public: true, hasBody: false, writesOnSuccess: false },
];

/** Every path × method of the OpenAPI document, with its entry of lib/api/routes.ts. */
function apiOperations(): Operation[] {
  const document = openApiDocument();
  return Object.entries(document.paths ?? {}).flatMap(([template, item]) =>
    (["get", "post", "put", "patch", "delete"] as const)
      .filter((method) => item?.[method])
      .map((method) => {
        const route = API_ROUTES.find((candidate) => candidate.path === template && candidate.method === method)!;
        return {
          method: method.toUpperCase() as Method,
          template,
          route,
          public: route.public === true,
          hasBody: route.body !== undefined,
          writesOnSuccess: method !== "get" || /export|verify/.test(template),
        };
      }),
  );
}

const API_OPERATIONS = apiOperations();
const WRITES = API_OPERATIONS.filter((operation) => operation.method !== "GET");
const label = (operation: Pick<Operation, "method" | "template">) => `${operation.method} ${operation.template}`;

/** Path parameters of real objects, alice's where there is a choice (carol, the admin, may act on them). */
function realParams(template: string): Record<string, string> {
  const mine = h.objects.alice;
  const params: Record<string, string> = {};
  for (const [, name] of template.matchAll(/\{([^}]+)\}/g)) {
    if (name === "slug") params.slug = "everything";
    else if (name === "version") params.version = "1";
    else if (template.startsWith("/api/v1/access-requests")) params.id = mine.accessRequest;
    else if (template.startsWith("/api/v1/grants")) params.id = mine.grant;
    else if (template.startsWith("/api/v1/gateway-tokens")) params.id = mine.gatewayToken;
    else if (template.startsWith("/api/v1/held-calls")) params.id = mine.heldCall;
    else if (template.startsWith("/api/v1/sessions")) params.id = mine.session;
    else if (template.startsWith("/api/v1/api-tokens")) params.id = h.objects.alice.spareApiToken;
  }
  return params;
}

/** Path parameters naming `owner`'s object of the route's kind. */
function paramsOf(template: string, owner: "alice" | "bob"): Record<string, string> {
  const objects = h.objects[owner];
  const params = realParams(template);
  if (!params.id) return params;
  const kind = /^\/api\/v1\/([a-z-]+)\//.exec(template)?.[1];
  const byKind: Record<string, string> = {
    "access-requests": objects.accessRequest,
    grants: objects.grant,
    "gateway-tokens": objects.gatewayToken,
    "held-calls": objects.heldCall,
    sessions: objects.session,
    "api-tokens": objects.apiToken,
  };
  return { ...params, id: byKind[kind ?? ""]! };
}

/** Who may call a route (its permission), acting on alice's objects: carol (admin), or alice for her own tokens. */
function callerFor(operation: Operation): Who {
  return operation.template.startsWith("/api/v1/api-tokens/") ? "alice" : "carol";
}

/** A valid body for each route that reads one: the hostile variants below are made from it. */
const SAMPLE_BODIES: Record<string, unknown> = {
  createConnection: { slug: "attack-target", name: "Attack target", transport: "streamable-http", url: "https://mcp.example.com/mcp" },
  updateConnection: { name: "Renamed", description: "changed" },
  createAccessRequest: { connection: "everything", minutes: 5, reason: "need to debug" },
  approveAccessRequest: { comment: "ok" },
  denyAccessRequest: { comment: "no" },
  revokeGrant: { reason: "done" },
  approveHeldCall: { comment: "ok", scope: "call" },
  denyHeldCall: { comment: "no" },
  saveGlobalPolicy: { default: "allow", rules: [{ kind: "guardrail", id: "r1", match: { name: "run_*" }, action: "deny" }] },
  saveConnectionPolicy: {
    default: "allow",
    rules: [{ kind: "mask", id: "m1", detectors: ["email"], style: "redact" }],
    baseVersion: 1,
  },
  previewPolicy: {
    connection: "everything",
    message: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "hi" } } },
    direction: "request",
  },
  createApiToken: { name: "script", expiresInDays: 30 },
  // Writes that take no input: {} (or nothing) is their only body.
  cancelAccessRequest: {},
  mintGatewayToken: {},
  revokeGatewayToken: {},
  revokeApiToken: {},
  restoreGlobalPolicyVersion: {},
  restoreConnectionPolicyVersion: {},
  "POST /oauth/register": { client_name: "Attack client", redirect_uris: ["http://127.0.0.1:33418/callback"] },
  "POST /oauth/authorize/decide": { action: "deny", authorization: "cm00000000000000000000000" },
  "POST /oauth/authorize/status": { authorization: "cm00000000000000000000000" },
};

/** More valid bodies whose every field is varied too: the optional fields, the other transports, rule kinds. */
const MORE_SAMPLES: Record<string, unknown[]> = {
  createConnection: [
    {
      slug: "attack-stdio",
      name: "Attack stdio",
      description: "spawned",
      maxMinutes: 30,
      transport: "stdio",
      command: "node",
      args: ["--version"],
      env: { API_TOKEN: "secret-value-123" },
    },
    {
      slug: "attack-ws",
      name: "Attack ws",
      transport: "websocket",
      url: "wss://mcp.example.com/ws",
      headers: { "X-Api-Key": "secret-value-123" },
    },
  ],
  updateConnection: [{ maxMinutes: 30, args: ["--x"], env: { API_TOKEN: "secret-value-123" }, headers: { "X-Api-Key": "v-123456789" } }],
  saveGlobalPolicy: [
    {
      default: "deny",
      rules: [
        {
          kind: "guardrail",
          id: "g1",
          description: "SQL",
          match: {
            method: "tools/call",
            name: "run_*",
            arguments: [
              { path: "$.query", regex: "drop\\s+table" },
              { path: "$.options.force", equals: { a: [1, "b"] } },
            ],
          },
          action: "require-approval",
          holdMinutes: 5,
        },
        { kind: "mask", id: "m2", paths: ["$.result..email"], keys: ["password"], regex: "\\d{4}", label: "card", style: "partial" },
      ],
      baseVersion: 1,
    },
  ],
  previewPolicy: [
    {
      policy: { default: "allow", rules: [{ kind: "mask", id: "k", keys: ["secret"], style: "hash" }] },
      message: { jsonrpc: "2.0", id: 2, result: { content: [{ type: "text", text: "a@b.co" }], secret: "s" } },
      direction: "response",
      requestMethod: "tools/call",
    },
  ],
};

function sampleBody(operation: Operation): unknown {
  return SAMPLE_BODIES[operation.route?.operationId ?? label(operation)];
}

/** Each string leaf's JSON path in a sample body. */
function leaves(value: unknown, at: Array<string | number> = []): Array<{ at: Array<string | number>; value: unknown }> {
  if (Array.isArray(value)) return value.flatMap((item, index) => leaves(item, [...at, index]));
  if (value !== null && typeof value === "object") return Object.entries(value).flatMap(([key, item]) => leaves(item, [...at, key]));
  return [{ at, value }];
}

function replaced(body: unknown, at: Array<string | number>, value: unknown): unknown {
  if (at.length === 0) return value;
  const [head, ...rest] = at;
  const copy = (Array.isArray(body) ? [...body] : { ...(body as Record<string, unknown>) }) as Record<string | number, unknown>;
  copy[head!] = replaced(copy[head!], rest, value);
  return copy;
}

const nested = (depth: number, open = "[", close = "]", inner = "1") => `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

interface HostileBody {
  why: string;
  headers: Record<string, string>;
  body: string | Uint8Array;
  /** Odd but valid input (the route's schema accepts it): answered normally, never a 5xx. */
  valid?: boolean;
}

/** Whether a parsed body holds a string Postgres cannot store (a NUL, a lone surrogate), as a value or a key. */
function holdsUnstorable(value: unknown): boolean {
  if (typeof value === "string") return unstorableText(value) !== null;
  if (value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([key, item]) => holdsUnstorable(key) || holdsUnstorable(item));
}

/** Whether the route's body schema accepts `body` (zod's recursive z.json() overflows the stack on deep nesting: not accepted). */
function acceptedBy(operation: Operation, body: unknown): boolean {
  try {
    return operation.route?.body?.safeParse(body).success === true;
  } catch {
    return false;
  }
}

/** Hostile bodies for a route with a JSON body, each with why it is hostile. */
function hostileBodies(operation: Operation): HostileBody[] {
  const json = { "content-type": operation.template === "/oauth/token" ? "application/x-www-form-urlencoded" : "application/json" };
  const sample = sampleBody(operation);
  const variants: HostileBody[] = [
    { why: "not JSON", headers: json, body: '{"a":' },
    { why: "JSON null", headers: json, body: "null" },
    { why: "a JSON array", headers: json, body: "[]" },
    { why: "a JSON number", headers: json, body: "42" },
    { why: "a JSON string", headers: json, body: '"x"' },
    { why: "JSON true", headers: json, body: "true" },
    // UTF-8 decoding drops a leading byte-order mark (WHATWG Encoding): the body is the sample.
    { why: "a byte-order mark", headers: json, body: `\ufeff${JSON.stringify(sample ?? {})}`, valid: true },
    { why: "invalid UTF-8", headers: json, body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) },
    { why: "arrays nested 30,000 deep", headers: json, body: nested(30_000) },
    { why: "objects nested 10,000 deep", headers: json, body: nested(10_000, '{"a":', "}") },
    { why: "a body over the limit", headers: json, body: JSON.stringify({ x: "a".repeat(MAX_BODY_BYTES) }) },
    { why: "a Content-Length over the limit", headers: { ...json, "content-length": String(MAX_BODY_BYTES * 1000) }, body: "{}" },
    { why: "a malformed Content-Length", headers: { ...json, "content-length": "12, 13" }, body: "{}" },
    { why: "text/plain", headers: { "content-type": "text/plain" }, body: JSON.stringify(sample ?? {}) },
    { why: "a form", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "a=1&b=2" },
    { why: "multipart", headers: { "content-type": "multipart/form-data; boundary=x" }, body: "--x\r\n\r\n--x--" },
    {
      why: "JSON in Latin-1",
      headers: { "content-type": "application/json; charset=iso-8859-1" },
      body: JSON.stringify(sample ?? {}),
      // JSON is UTF-8 (RFC 8259); the OAuth endpoints ignore a charset parameter, the API refuses another charset.
      valid: operation.template.startsWith("/oauth"),
    },
    { why: "no Content-Type", headers: {}, body: JSON.stringify(sample ?? {}) },
  ];
  if (operation.template === "/oauth/token") {
    variants.push(
      { why: "a NUL in grant_type", headers: json, body: "grant_type=authorization_code%00&code=x" },
      { why: "a lone surrogate in code", headers: json, body: "grant_type=authorization_code&code=%ED%A0%80" },
      { why: "a repeated parameter", headers: json, body: "grant_type=refresh_token&grant_type=refresh_token" },
      { why: "a 60 KB code", headers: json, body: `grant_type=authorization_code&code=${"a".repeat(60_000)}` },
    );
    return variants;
  }
  if (sample === undefined) return variants;
  const samples = [sample, ...(MORE_SAMPLES[operation.route?.operationId ?? ""] ?? [])];
  for (const [index, base] of samples.entries())
    for (const leaf of leaves(base)) {
      const name = `${index ? `sample ${index + 1}: ` : ""}${leaf.at.join(".")}`;
      const variant = (why: string, value: unknown) => {
        const body = replaced(base, leaf.at, value);
        // What the route's schema accepts (say, a JSON-RPC id of 1.5 in a preview, or a null description) is valid input.
        const valid = acceptedBy(operation, body) && !holdsUnstorable(body);
        variants.push({ why: `${name}: ${why}`, headers: json, body: JSON.stringify(body), valid });
      };
      if (typeof leaf.value === "string") {
        variant("a NUL", `${leaf.value}\u0000x`);
        variant("a lone high surrogate", `${leaf.value}\ud800`);
        variant("a lone low surrogate", `\udfff${leaf.value}`);
        variant("60 KB long", "a".repeat(60_000));
        variant("a number", 7);
        variant("regex, glob and JSON-path syntax", "((([[[\\$..*?{");
        variant("a thousand stars", `${"*".repeat(1_000)}x`);
      } else if (typeof leaf.value === "number") {
        for (const value of [-1, 0, 1.5, 1e308, 2 ** 53 + 2, "5"]) variant(`${value}`, value);
      }
      variant("null", null);
      variant("an object", { $gt: "" });
      variant("arrays nested 2,000 deep", JSON.parse(nested(2_000)) as unknown);
    }
  if (sample !== null && typeof sample === "object") {
    // The sample's members, after one more.
    const rest = JSON.stringify(sample).slice(1, -1);
    const withMember = (member: string) => (rest ? `{${member},${rest}}` : `{${member}}`);
    const member = (why: string, body: string) => {
      // Nesting past the limit is refused whatever the schema. Otherwise valid when the route's schema takes it (a key it does not know is dropped by z.object, refused by
      // z.strictObject); JSON.parse makes __proto__ an own key (no prototype pollution) and keeps a repeated
      // key's last value. The OAuth endpoints' schemas drop unknown keys.
      const parsed = JSON.parse(body) as unknown;
      const valid =
        !why.startsWith("deep") &&
        (operation.route ? acceptedBy(operation, parsed) && !holdsUnstorable(parsed) : /prototype|duplicate|60 KB/.test(why));
      variants.push({ why, headers: json, body, valid });
    };
    member("a NUL in a key", withMember('"a\\u0000b":1'));
    member("a lone surrogate in a key", withMember('"a\\ud800":1'));
    member("a 60 KB key", withMember(`"${"k".repeat(60_000)}":1`));
    member("a prototype key", withMember('"__proto__":{"admin":true}'));
    member("a duplicate key", rest ? `{${rest},${rest}}` : "{}");
    member("deep nesting inside", withMember(`"x":${nested(20_000)}`));
  }
  return variants;
}

const HOSTILE_IDS = [
  "\u0000",
  "abc\u0000def",
  "\ud800",
  "a\udfffb",
  "x".repeat(5_000),
  "cm00000000000000000000000",
  "00000000-0000-4000-8000-000000000000",
  "-1",
  "0",
  "99999999999999999999",
  "1e309",
  "1.5",
  "NaN",
  "../me",
  " ",
  "%",
  "%00",
  '\'; drop table "User"; --',
  "😀",
];

const HOSTILE_QUERY_VALUES = [
  "%00",
  "a%00b",
  "%ED%A0%80",
  "%F0%9F",
  "%",
  "x".repeat(10_000),
  "-1",
  "0",
  "99999999999999999999",
  "1e309",
  "NaN",
  "",
  "%20",
  "[object%20Object]",
  "2026-02-30T00:00:00Z",
  "0000-01-01T00:00:00Z",
];

const SECRET_SHAPES = [/\n\s+at /, /PrismaClient|prisma\.|Invalid `/, /postgres(ql)?:\/\//i];

/** What is wrong with a refusal: not a 4xx, not JSON, no message, or a leak. Empty when it is a good refusal. */
function refusalProblems(answer: Answer): string[] {
  const problems: string[] = [];
  if (answer.nextDefault405) return ["no handler for the method: Next answers 405 with an empty body, no JSON, no Allow"];
  if (answer.status < 400 || answer.status >= 500) problems.push(`status ${answer.status}`);
  if (!/application\/json/.test(answer.headers.get("content-type") ?? "")) {
    problems.push(`content-type ${answer.headers.get("content-type")}`);
  }
  const body = answer.json as { error?: { message?: unknown } | string; error_description?: unknown } | undefined;
  const message = typeof body?.error === "object" ? body.error.message : body?.error_description;
  if (typeof message !== "string" || message.length < 5) problems.push(`no error message: ${answer.text.slice(0, 200)}`);
  else if (message.length > 1_000) problems.push(`a ${message.length}-character message: ${message.slice(0, 100)}…`);
  problems.push(...leaks(answer));
  return problems;
}

function leaks(answer: Answer): string[] {
  const secrets = [h.vaultKey, ...Object.values(h.tokens)];
  return [
    ...SECRET_SHAPES.filter((shape) => shape.test(answer.text)).map((shape) => `leaks ${shape}: ${answer.text.slice(0, 300)}`),
    ...(secrets.some((secret) => answer.text.includes(secret)) ? ["leaks a secret"] : []),
  ];
}

const describeAnswer = (answer: Answer) => `${answer.status} ${answer.text.slice(0, 160)}`;

/**
 * Runs hostile calls expecting each to be refused; the database must be as before.
 * Returns the problems found, labelled.
 */
async function expectAllRefused(what: string, calls: Array<{ why: string; request: Call }>): Promise<string[]> {
  const problems: string[] = [];
  const before = await fingerprint(h.t.db);
  for (const { why, request } of calls) {
    const answer = await call(request);
    for (const problem of refusalProblems(answer)) problems.push(`${what} — ${why}: ${problem}`);
  }
  if ((await fingerprint(h.t.db)) !== before) problems.push(`${what}: the database changed although every request was refused`);
  return problems;
}

describe("every route and method of the document", () => {
  it("lists every route file's methods (the table below walks the document)", () => {
    expect(API_OPERATIONS.length).toBeGreaterThan(40);
    for (const operation of WRITES.filter((write) => write.hasBody)) {
      expect(sampleBody(operation), `${label(operation)}: add a sample body to SAMPLE_BODIES`).toBeDefined();
    }
  });

  it("a method a route lacks is a JSON 405 with Allow; OPTIONS names the same methods", async () => {
    const problems: string[] = [];
    const templates = new Map<string, Set<string>>();
    for (const operation of [...API_OPERATIONS, ...OAUTH_OPERATIONS]) {
      const methods = templates.get(operation.template) ?? new Set<string>();
      methods.add(operation.method);
      templates.set(operation.template, methods);
    }
    // The OAuth endpoints that browser-based MCP clients call answer CORS preflights.
    for (const preflight of ["/oauth/register", "/oauth/token", "/.well-known/oauth-authorization-server"])
      templates.get(preflight)!.add("OPTIONS");
    const before = await fingerprint(h.t.db);
    for (const [template, allowed] of templates) {
      for (const method of HTTP_METHODS) {
        if (allowed.has(method) || (method === "HEAD" && allowed.has("GET"))) continue;
        const answer = await call({ method, template, params: realParams(template), as: "carol" });
        if (method === "OPTIONS") {
          if (answer.nextDefault405 || answer.status !== 204) problems.push(`OPTIONS ${template}: ${describeAnswer(answer)}`);
          continue;
        }
        for (const problem of refusalProblems(answer)) problems.push(`${method} ${template}: ${problem}`);
        if (!answer.nextDefault405) {
          if (answer.status !== 405) problems.push(`${method} ${template}: ${answer.status}, not 405`);
          const allow = answer.headers.get("allow") ?? "";
          for (const method of allowed)
            if (!allow.includes(method)) problems.push(`${method} ${template}: Allow "${allow}" lacks ${method}`);
        }
      }
    }
    expect(await fingerprint(h.t.db)).toBe(before);
    expect(problems).toEqual([]);
  });
});

describe("unknown paths", () => {
  it("under /api, /oauth and /.well-known are JSON 404s for every method, not the portal's HTML page", async () => {
    const problems: string[] = [];
    for (const [template, path] of [
      ["/api/{...unknown}", "v2/me"],
      ["/api/v1/{...unknown}", "grants/x/y/z"],
      ["/oauth/{...unknown}", "tokens"],
      ["/.well-known/{...unknown}", "openid-configuration"],
    ] as const) {
      for (const method of HTTP_METHODS) {
        const answer = await call({ method, template, params: { "...unknown": path }, as: "alice" });
        if (answer.status !== 404) problems.push(`${method} ${template}: ${answer.status}`);
        if (method !== "HEAD") problems.push(...refusalProblems(answer).map((problem) => `${method} ${template}: ${problem}`));
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("authentication", () => {
  it("no credentials, or a bad Authorization header, is a 401 on every route that needs one, and changes nothing", async () => {
    const problems: string[] = [];
    const headers: Array<{ why: string; headers: Record<string, string> }> = [
      { why: "no credentials", headers: {} },
      { why: "an unknown API token", headers: { authorization: "Bearer tg_notarealtoken_notarealtoken" } },
      { why: "Basic auth", headers: { authorization: "Basic YWxpY2U6YWxpY2U=" } },
      { why: "an 8 KB token", headers: { authorization: `Bearer ${"t".repeat(8_000)}` } },
      { why: "a JWT-shaped token", headers: { authorization: "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9." } },
      { why: "two tokens", headers: { authorization: `Bearer ${"a".repeat(20)} Bearer ${"b".repeat(20)}` } },
      { why: "a token with a trailing NUL-like byte", headers: { authorization: "Bearer tg_\u007f" } },
    ];
    for (const operation of API_OPERATIONS.filter((candidate) => !candidate.public)) {
      const calls = headers.map(({ why, headers: extra }): { why: string; request: Call } => ({
        why,
        request: {
          method: operation.method,
          template: operation.template,
          params: realParams(operation.template),
          headers: { ...extra, ...(operation.hasBody ? { "content-type": "application/json" } : {}) },
          ...(operation.hasBody ? { body: JSON.stringify(sampleBody(operation)) } : {}),
        },
      }));
      for (const problem of await expectAllRefused(label(operation), calls)) problems.push(problem);
      const answer = await call(calls[0]!.request);
      if (answer.status !== 401) problems.push(`${label(operation)}: no credentials gave ${answer.status}`);
      // A refused credential is not echoed back (it may be a real secret sent to the wrong place).
      for (const { request } of calls.slice(1)) {
        const presented = /^\S+\s+(\S+)/.exec(request.headers?.authorization ?? "")?.[1];
        const refused = await call(request);
        if (presented && presented.length >= 8 && refused.text.includes(presented)) {
          problems.push(`${label(operation)}: echoes the presented credential`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("the portal's session cookie", () => {
  it("a write that the browser says another site started, or that names no origin, is a 403 on every write route; nothing changed", async () => {
    const problems: string[] = [];
    portal.user = { ...h.users.carol, name: "Carol" };
    try {
      for (const operation of WRITES) {
        const origins: Array<{ why: string; headers: Record<string, string> }> = [
          { why: "no Origin or Sec-Fetch-Site", headers: {} },
          { why: "cross-site", headers: { "sec-fetch-site": "cross-site" } },
          { why: "a foreign Origin", headers: { origin: "https://evil.example" } },
          { why: "Origin null", headers: { origin: "null" } },
          { why: "same-site from another origin", headers: { origin: "http://127.0.0.1:3001", "sec-fetch-site": "same-site" } },
        ];
        const calls = origins.map(({ why, headers }) => ({
          why,
          request: {
            method: operation.method,
            template: operation.template,
            params: realParams(operation.template),
            headers: { ...headers, "content-type": "application/json" },
            body: JSON.stringify(sampleBody(operation) ?? {}),
          },
        }));
        problems.push(...(await expectAllRefused(`${label(operation)} with the cookie`, calls)));
        const answer = await call(calls[1]!.request);
        if (answer.status !== 403) problems.push(`${label(operation)} cross-site with the cookie: ${describeAnswer(answer)}`);
      }
    } finally {
      portal.user = null;
    }
    expect(problems).toEqual([]);
  });
});

describe("HEAD", () => {
  it("every GET route answers HEAD (signed in, as an admin, or not at all) without a 5xx", async () => {
    const problems: string[] = [];
    for (const operation of API_OPERATIONS.filter((candidate) => candidate.method === "GET")) {
      for (const as of ["alice", "carol", null] as const) {
        const answer = await call({ method: "HEAD", template: operation.template, params: realParams(operation.template), as });
        if (answer.status >= 500 || answer.nextDefault405) problems.push(`HEAD ${operation.template} as ${as}: ${describeAnswer(answer)}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("hostile path parameters", () => {
  it("NUL, lone surrogates, very long, numeric-looking and traversal ids: a 400 or 404 with a JSON error, nothing changed", async () => {
    const problems: string[] = [];
    for (const operation of API_OPERATIONS.filter((candidate) => candidate.template.includes("{"))) {
      const params = realParams(operation.template);
      for (const name of Object.keys(params)) {
        const calls = HOSTILE_IDS.map((value) => ({
          why: `${name}=${JSON.stringify(value.slice(0, 30))}`,
          request: {
            method: operation.method,
            template: operation.template,
            params: { ...params, [name]: value },
            as: callerFor(operation),
            ...(operation.hasBody ? { headers: { "content-type": "application/json" }, body: JSON.stringify(sampleBody(operation)) } : {}),
          },
        }));
        problems.push(...(await expectAllRefused(label(operation), calls)));
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("hostile query parameters", () => {
  it("each parameter of each route with odd values, repeated, or unknown: never a 5xx; a refusal is a JSON error", async () => {
    const problems: string[] = [];
    for (const operation of API_OPERATIONS.filter((candidate) => candidate.route?.query)) {
      const names = Object.keys(operation.route!.query!.shape);
      const queries = [
        ...names.flatMap((name) => HOSTILE_QUERY_VALUES.map((value) => `${name}=${value}`)),
        ...names.map((name) => `${name}=1&${name}=%00&${name}=x`),
        ...names.map((name) => `${name}[]=1&${name}[x]=2`),
        "unknown=%00",
        `${"k".repeat(5000)}=1`,
      ];
      const before = await fingerprint(h.t.db);
      let someSucceeded = false;
      for (const query of queries) {
        const answer = await call({
          method: operation.method,
          template: operation.template,
          params: realParams(operation.template),
          query,
          as: "carol",
        });
        if (answer.status < 400 && !answer.nextDefault405) {
          someSucceeded = true;
          problems.push(...leaks(answer).map((problem) => `${label(operation)} ?${query.slice(0, 40)}: ${problem}`));
          continue;
        }
        for (const problem of refusalProblems(answer)) problems.push(`${label(operation)} ?${query.slice(0, 40)}: ${problem}`);
      }
      // Exports write an audit event when they succeed; other reads never write.
      if (!(operation.writesOnSuccess && someSucceeded) && (await fingerprint(h.t.db)) !== before) {
        problems.push(`${label(operation)}: hostile queries changed the database`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe("other people's objects", () => {
  it("alice (a requester) can neither read nor act on bob's objects through any route with an id: 403 or 404, nothing changed", async () => {
    const problems: string[] = [];
    for (const operation of API_OPERATIONS.filter((candidate) => candidate.template.includes("{id}"))) {
      const theirs = paramsOf(operation.template, "bob");
      const request = (params: Record<string, string>): Call => ({
        method: operation.method,
        template: operation.template,
        params,
        as: "alice",
        ...(operation.hasBody ? { headers: { "content-type": "application/json" }, body: JSON.stringify(sampleBody(operation)) } : {}),
      });
      problems.push(...(await expectAllRefused(`${label(operation)} on bob's`, [{ why: "as alice", request: request(theirs) }])));
      const [answer, missing] = [await call(request(theirs)), await call(request({ ...theirs, id: "cm00000000000000000000000" }))];
      if (![403, 404].includes(answer.status)) problems.push(`${label(operation)} on bob's: ${describeAnswer(answer)}`);
      // A 404 for someone else's object reads like one for a missing object: ids do not leak existence.
      if (answer.status === 404) {
        const words = (found: Answer, id: string) =>
          ((found.json as { error: { message: string } }).error.message ?? "").replace(id, "<id>");
        if (words(answer, theirs.id!) !== words(missing, "cm00000000000000000000000")) {
          problems.push(`${label(operation)}: bob's object and a missing one answer differently: ${answer.text} / ${missing.text}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("nobody decides their own request or held call, nor revokes another's API token; requesters cannot widen lists", async () => {
    const { alice, bob } = h.objects;
    const refused: Array<{ why: string; request: Call }> = [
      {
        why: "bob approves his own request",
        request: { method: "POST", template: "/api/v1/access-requests/{id}/approve", params: { id: bob.accessRequest }, as: "bob" },
      },
      {
        why: "bob denies his own request",
        request: { method: "POST", template: "/api/v1/access-requests/{id}/deny", params: { id: bob.accessRequest }, as: "bob" },
      },
      {
        why: "bob approves his own held call",
        request: { method: "POST", template: "/api/v1/held-calls/{id}/approve", params: { id: bob.heldCall }, as: "bob" },
      },
      {
        why: "bob denies his own held call",
        request: { method: "POST", template: "/api/v1/held-calls/{id}/deny", params: { id: bob.heldCall }, as: "bob" },
      },
      {
        why: "bob cancels alice's request",
        request: { method: "POST", template: "/api/v1/access-requests/{id}/cancel", params: { id: alice.accessRequest }, as: "bob" },
      },
      {
        why: "bob revokes alice's API token",
        request: { method: "POST", template: "/api/v1/api-tokens/{id}/revoke", params: { id: alice.apiToken }, as: "bob" },
      },
      {
        why: "carol (admin) revokes bob's API token",
        request: { method: "POST", template: "/api/v1/api-tokens/{id}/revoke", params: { id: bob.apiToken }, as: "carol" },
      },
      {
        why: "alice mints a token on bob's grant",
        request: { method: "POST", template: "/api/v1/grants/{id}/tokens", params: { id: bob.grant }, as: "alice" },
      },
      { why: "alice lists everyone's grants", request: { method: "GET", template: "/api/v1/grants", query: "scope=all", as: "alice" } },
      {
        why: "alice lists everyone's requests",
        request: { method: "GET", template: "/api/v1/access-requests", query: "scope=all", as: "alice" },
      },
      {
        why: "alice lists pending requests",
        request: { method: "GET", template: "/api/v1/access-requests", query: "scope=pending", as: "alice" },
      },
      { why: "alice reads the audit log", request: { method: "GET", template: "/api/v1/audit-events", as: "alice" } },
      { why: "bob reads the audit log", request: { method: "GET", template: "/api/v1/audit-events", as: "bob" } },
      {
        why: "alice reads policy samples",
        request: { method: "GET", template: "/api/v1/connections/{slug}/policy/samples", params: { slug: "everything" }, as: "alice" },
      },
      {
        why: "bob saves the global policy",
        request: {
          method: "PUT",
          template: "/api/v1/policy",
          as: "bob",
          headers: { "content-type": "application/json" },
          body: '{"default":"deny","rules":[]}',
        },
      },
      {
        why: "bob registers a connection",
        request: {
          method: "POST",
          template: "/api/v1/connections",
          as: "bob",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(SAMPLE_BODIES.createConnection),
        },
      },
      { why: "alice lists service accounts", request: { method: "GET", template: "/api/v1/service-accounts", as: "alice" } },
    ];
    const problems = await expectAllRefused("authorization", refused);
    for (const { why, request } of refused) {
      const answer = await call(request);
      if (![403, 404].includes(answer.status)) problems.push(`${why}: ${describeAnswer(answer)}`);
    }
    // Lists a requester may read show only her own rows, whatever she asks for (bob appears only as her approver).
    for (const query of ["", "scope=all", "scope=mine", "scope=all&scope=mine"]) {
      for (const template of ["/api/v1/held-calls", "/api/v1/sessions", "/api/v1/grants", "/api/v1/access-requests"]) {
        const answer = await call({ method: "GET", template, query, as: "alice" });
        if (answer.status >= 400) continue;
        for (const id of Object.values(bob))
          if (answer.text.includes(id)) problems.push(`GET ${template}?${query} shows alice bob's ${id}`);
      }
    }
    const sessions = await call({ method: "GET", template: "/api/v1/sessions", query: "user=bob@example.com", as: "alice" });
    if (sessions.text.includes(bob.session)) problems.push("GET /api/v1/sessions?user=bob shows alice bob's session");
    expect(problems).toEqual([]);
  });
});

describe("hostile bodies", () => {
  it("every write with malformed, non-object, oversized, deeply nested or mistyped bodies, NULs and lone surrogates: 4xx, nothing changed", async () => {
    const problems: string[] = [];
    for (const operation of [...WRITES, ...OAUTH_OPERATIONS.filter((candidate) => candidate.method === "POST")]) {
      const isOAuthConsent = operation.template.startsWith("/oauth/authorize");
      portal.user = isOAuthConsent ? { ...h.users.alice, name: "Alice" } : null;
      const origin: Record<string, string> = isOAuthConsent ? { origin: ORIGIN, "sec-fetch-site": "same-origin" } : {};
      const variants = operation.hasBody
        ? hostileBodies(operation)
        : // A route without a body still refuses one it cannot have been sent as JSON, or one over the limit.
          hostileBodies(operation).filter(({ why }) => /limit|Content-Length|text\/plain|form|multipart|Latin-1/.test(why));
      const request = ({ headers, body }: HostileBody): Call => ({
        method: operation.method,
        template: operation.template,
        params: realParams(operation.template),
        as: operation.template.startsWith("/oauth") ? null : callerFor(operation),
        headers: { ...headers, ...origin },
        body,
      });
      const hostile = variants.filter((variant) => !variant.valid);
      problems.push(
        ...(await expectAllRefused(
          label(operation),
          hostile.map((variant) => ({ why: variant.why, request: request(variant) })),
        )),
      );
      // Valid after all: answered as usual (these may change the database, so they come last).
      for (const variant of variants.filter((candidate) => candidate.valid)) {
        const answer = await call(request(variant));
        const problems5xx =
          answer.status >= 500 ? [`status ${answer.status}`] : answer.status >= 400 ? refusalProblems(answer) : leaks(answer);
        problems.push(...problems5xx.map((problem) => `${label(operation)} — ${variant.why} (valid): ${problem}`));
      }
    }
    portal.user = null;
    expect(problems).toEqual([]);
  });
});

describe("when Postgres is down", () => {
  it("every route that needs it answers 503 UNAVAILABLE with Retry-After, not a 500", async () => {
    const shared = globalThis as { tollgateDb?: Db };
    const live = shared.tollgateDb;
    // Nothing listens on port 1: every query fails at once with "can't reach database server".
    const dead = createDb("postgres://tollgate:x@127.0.0.1:1/tollgate");
    shared.tollgateDb = dead;
    portal.user = { ...h.users.alice, name: "Alice" };
    const problems: string[] = [];
    try {
      for (const operation of [...API_OPERATIONS, ...OAUTH_OPERATIONS]) {
        if (operation.template === "/api/v1/openapi.json" || operation.template.startsWith("/.well-known")) continue;
        const oauth = operation.template.startsWith("/oauth");
        const body =
          operation.template === "/oauth/token"
            ? "grant_type=refresh_token&refresh_token=tgr_x&client_id=tgc_x"
            : operation.hasBody
              ? JSON.stringify(sampleBody(operation))
              : undefined;
        const answer = await call({
          method: operation.method,
          template: operation.template,
          params: realParams(operation.template),
          as: oauth ? null : "carol",
          headers: {
            ...(body
              ? { "content-type": operation.template === "/oauth/token" ? "application/x-www-form-urlencoded" : "application/json" }
              : {}),
            ...(oauth ? { origin: ORIGIN, "sec-fetch-site": "same-origin" } : {}),
          },
          ...(body ? { body } : {}),
        });
        // Registration is rate limited before it touches the database: after the attacks above, a 429 is fair too.
        const fine = answer.status === 503 || (operation.template === "/oauth/register" && answer.status === 429);
        if (!fine || !answer.headers.get("retry-after")) problems.push(`${label(operation)}: ${describeAnswer(answer)}`);
        problems.push(...refusalProblems({ ...answer, status: 400 }).map((problem) => `${label(operation)}: ${problem}`));
      }
    } finally {
      shared.tollgateDb = live;
      portal.user = null;
      await dead.$disconnect();
    }
    expect(problems).toEqual([]);
  });
});
