import { z } from "zod";
import type { AccessRequestView, GrantView } from "../access/present.ts";
import { createAccessRequestSchema, decideAccessRequestSchema } from "../access/schema.ts";
import type { AuditEventPage, AuditEventView } from "../audit/list-audit-events.ts";
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX } from "../audit/schema.ts";
import type { AuditChainResult } from "../audit/verify-audit-chain.ts";
import type { ConnectionView } from "../connections/present-connection.ts";
import { createConnectionSchema, updateConnectionSchema } from "../connections/schema.ts";
import { type AppErrorCode, HTTP_STATUS } from "../errors.ts";
import { revokeGrantSchema } from "../grants/schema.ts";
import type { SessionEventView, SessionView } from "../recording/sessions.ts";
import type { CreatedApiToken } from "../tokens/create-api-token.ts";
import type { GatewayTokenView } from "../tokens/gateway-tokens.ts";
import type { mintGatewayToken } from "../tokens/mint-gateway-token.ts";
import type { ApiTokenView } from "../tokens/present.ts";
import { createApiTokenSchema } from "../tokens/schema.ts";
import type { UserView } from "../users/get-user.ts";

// The OpenAPI 3.1 description of /api/v1, served at GET /api/v1/openapi.json.
// Request bodies are generated from the very zod schemas the routes parse with; response bodies
// from the zod schemas below, which the type checks at the bottom tie to the domain's view types,
// so a field added to or removed from a view without updating this file fails `tsc`.

const timestamp = () => z.string().meta({ format: "date-time" });
const ROLES = ["REQUESTER", "APPROVER", "ADMIN", "AUDITOR"] as const;
const ERROR_CODES = Object.keys(HTTP_STATUS) as [AppErrorCode, ...AppErrorCode[]];

// ---- response schemas ------------------------------------------------------------------------

const userRef = z.object({ id: z.string(), email: z.string(), name: z.string().nullable() });

const user = z.object({ id: z.string(), email: z.string(), name: z.string().nullable(), roles: z.array(z.enum(ROLES)) });

const me = z.object({
  user,
  gatewayUrl: z.string().meta({ format: "uri", description: "Base URL of the gateway: MCP clients connect to <gatewayUrl>/mcp/<slug>." }),
});

const connection = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  transport: z.enum(["streamable-http", "stdio"]),
  url: z.string().nullable().describe("Upstream URL (streamable-http connections)."),
  command: z.string().nullable().describe("Command the gateway spawns (stdio connections)."),
  args: z.array(z.string()),
  maxMinutes: z.number().int().describe("Longest grant that may be requested, in minutes."),
  hasCredential: z.boolean().describe("Whether an upstream credential is stored. The credential itself is write-only."),
  createdAt: timestamp(),
});

const grantStatus = z.enum(["ACTIVE", "EXPIRED", "REVOKED"]);

const grant = z.object({
  id: z.string(),
  requestId: z.string(),
  status: grantStatus,
  startsAt: timestamp(),
  expiresAt: timestamp(),
  revokedAt: timestamp().nullable(),
  connection: z.object({ slug: z.string(), name: z.string() }).optional().describe("Present in grant lists and on revoke."),
  user: userRef.optional().describe("The grant's holder; present in grant lists and on revoke."),
});

const accessRequest = z.object({
  id: z.string(),
  status: z.enum(["PENDING", "APPROVED", "DENIED", "CANCELLED", "EXPIRED"]),
  minutes: z.number().int(),
  reason: z.string(),
  createdAt: timestamp(),
  decidedAt: timestamp().nullable(),
  requester: userRef,
  connection: z.object({ slug: z.string(), name: z.string(), maxMinutes: z.number().int() }),
  approvals: z.array(
    z.object({ approver: userRef, decision: z.enum(["APPROVE", "DENY"]), comment: z.string().nullable(), createdAt: timestamp() }),
  ),
  grant: grant.nullable().describe("The grant an approval created; null while pending or when denied."),
});

const gatewayToken = z.object({
  token: z.string().describe("Gateway access token (tgg_…), bound to this grant. Shown once: it is stored only as a hash."),
  prefix: z.string().describe("The token's first characters, to recognise it later."),
  grantId: z.string(),
  connection: z.string().describe("Slug of the connection the grant is for."),
  expiresAt: timestamp().describe("When the grant, and with it the token, expires."),
});

const apiToken = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe("The token's first characters, to recognise it later. The token itself is never returned again."),
  createdAt: timestamp(),
  lastUsedAt: timestamp().nullable().describe("Last time the token authenticated a request (updated at most once a minute)."),
  expiresAt: timestamp().nullable().describe("When the token stops working; null if it does not expire."),
  revokedAt: timestamp().nullable(),
});

const gatewayTokenInfo = z.object({
  id: z.string(),
  grantId: z.string(),
  prefix: z.string().describe("The token's first characters. The token itself is never returned again."),
  createdAt: timestamp(),
  lastUsedAt: timestamp().nullable().describe("Last time the token authenticated a gateway request (updated at most once a minute)."),
  revokedAt: timestamp().nullable(),
});

const createdApiToken = z.object({
  id: z.string(),
  token: z.string().describe("Personal API token (tg_…). Shown once: it is stored only as a hash."),
  prefix: z.string().describe("The token's first characters, to recognise it later."),
  name: z.string(),
  expiresAt: timestamp().nullable().describe("When the token stops working; null if it does not expire."),
});

const session = z.object({
  id: z.string(),
  grantId: z.string(),
  user: userRef,
  connection: z.object({ slug: z.string(), name: z.string() }),
  transport: z.string(),
  protocolVersion: z.string().nullable(),
  clientInfo: z.unknown().describe("The MCP client's clientInfo from initialize, or null."),
  startedAt: timestamp(),
  endedAt: timestamp().nullable(),
  endReason: z.string().nullable(),
  eventCount: z.number().int(),
});

const sessionEvent = z.object({
  seq: z.number().int().describe("Position in the session, from 1; pass the last one seen as ?after= to page."),
  at: timestamp(),
  direction: z.enum(["CLIENT_TO_UPSTREAM", "UPSTREAM_TO_CLIENT", "GATEWAY_TO_CLIENT", "GATEWAY_TO_UPSTREAM"]),
  kind: z.string(),
  rpcId: z.string().nullable(),
  method: z.string().nullable(),
  tool: z.string().nullable(),
  payload: z.unknown().describe("The recorded JSON-RPC message, after masking."),
  hash: z.string().describe("Hash chaining this event to its predecessor."),
});

const auditEvent = z.object({
  id: z.string().describe("Position in the audit chain (a 64-bit integer, as a decimal string)."),
  at: timestamp(),
  actorEmail: z.string().nullable().describe("Who acted; null for the system itself (seed, expiry sweeps)."),
  action: z.string().describe("What happened, e.g. `grant.created`, `grant.revoked`, `connection.created`."),
  targetType: z.string().describe("The kind of object acted on, e.g. `Grant`, `AccessRequest`, `Connection`."),
  targetId: z.string(),
  data: z.unknown().describe("Details of the change (never a secret or token)."),
  hash: z.string().describe("SHA-256 over the predecessor's hash and this event's content."),
  prevHash: z.string().describe("The predecessor's hash (a fixed genesis value for the first event)."),
});

const auditEventPage = z.object({
  events: z.array(auditEvent).describe("Newest first."),
  nextCursor: z.string().nullable().describe("Pass as `?before=` for the next, older, page; null on the last page."),
});

const auditChainIntact = z.object({
  ok: z.literal(true),
  events: z.number().int().describe("How many events were verified."),
});
const auditChainBroken = z.object({
  ok: z.literal(false),
  events: z.number().int().describe("How many events were read, up to and including the first broken one."),
  brokenAt: z.string().describe("Id of the first event that does not link to its predecessor."),
  reason: z.string(),
});
const auditChainResult = z.union([auditChainIntact, auditChainBroken]);

const error = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string().describe("What went wrong, in words a person can act on."),
    field: z.string().optional().describe("The input field at fault (400s)."),
  }),
});

const components = z.registry<{ id: string }>();
components.add(userRef, { id: "UserRef" });
components.add(user, { id: "User" });
components.add(me, { id: "Me" });
components.add(connection, { id: "Connection" });
components.add(grant, { id: "Grant" });
components.add(accessRequest, { id: "AccessRequest" });
components.add(gatewayToken, { id: "GatewayToken" });
components.add(gatewayTokenInfo, { id: "GatewayTokenInfo" });
components.add(apiToken, { id: "ApiToken" });
components.add(createdApiToken, { id: "CreatedApiToken" });
components.add(session, { id: "Session" });
components.add(sessionEvent, { id: "SessionEvent" });
components.add(auditEvent, { id: "AuditEvent" });
components.add(auditEventPage, { id: "AuditEventPage" });
components.add(auditChainResult, { id: "AuditChainResult" });
components.add(error, { id: "Error" });
components.add(createConnectionSchema, { id: "CreateConnection" });
components.add(updateConnectionSchema, { id: "UpdateConnection" });
components.add(createAccessRequestSchema, { id: "CreateAccessRequest" });
components.add(decideAccessRequestSchema, { id: "DecideAccessRequest" });
components.add(revokeGrantSchema, { id: "RevokeGrant" });
components.add(createApiTokenSchema, { id: "CreateApiToken" });

// ---- document ----------------------------------------------------------------------------------

type JsonSchema = Record<string, unknown>;

interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: JsonSchema[];
  requestBody?: JsonSchema;
  responses: Record<string, JsonSchema>;
}

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  security: Array<Record<string, string[]>>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<"get" | "post" | "patch", Operation>>>;
  components: {
    securitySchemes: Record<string, JsonSchema>;
    schemas: Record<string, JsonSchema>;
    responses: Record<string, JsonSchema>;
  };
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const ok = (description: string, schema: JsonSchema) => ({ description, content: json(schema) });
const list = (name: string) => ({ type: "array", items: ref(name) });
const body = (name: string, required: boolean) => ({ required, content: json(ref(name)) });
const errors = (...codes: Array<Exclude<AppErrorCode, "UNAUTHENTICATED" | "INTERNAL">>) =>
  Object.fromEntries([
    ...codes.map((code) => [String(HTTP_STATUS[code]), { $ref: `#/components/responses/${code}` }]),
    ["401", { $ref: "#/components/responses/UNAUTHENTICATED" }],
  ]);
const idParam = (description: string) => ({ name: "id", in: "path", required: true, description, schema: { type: "string" } });
const slugParam = {
  name: "slug",
  in: "path",
  required: true,
  description: "Connection slug, e.g. `github-prod`",
  schema: { type: "string" },
};

const ERROR_DESCRIPTIONS: Record<AppErrorCode, string> = {
  BAD_REQUEST: "The input is invalid; `error.field` names the field at fault.",
  UNAUTHENTICATED: "No, or an invalid, expired or revoked, bearer token.",
  FORBIDDEN: "Your roles do not allow this, or the object belongs to someone else.",
  NOT_FOUND: "No such object (that you can see).",
  CONFLICT: "The object is not in a state that allows this (e.g. already decided, already revoked).",
  GONE: "The grant has expired or was revoked.",
  UNAVAILABLE: "A dependency is down; try again.",
  INTERNAL: "Unexpected error; it has been logged.",
};

function schemas(): Record<string, JsonSchema> {
  const generated = z.toJSONSchema(components, { io: "input", uri: (id) => `#/components/schemas/${id}` }).schemas;
  // Each generated schema carries its own $schema/$id; inside an OpenAPI document they are noise.
  return Object.fromEntries(
    Object.entries(generated).map(([id, schema]) => {
      const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
      return [id, rest];
    }),
  );
}

function buildDocument(): OpenApiDocument {
  return {
    openapi: "3.1.0",
    info: {
      title: "Tollgate API",
      version: "1",
      description:
        "Just-in-time access for MCP servers: request time-boxed access to a connection, approve or deny requests, " +
        "mint gateway tokens for active grants, revoke grants, read session recordings, read and verify the audit log, " +
        "and manage your personal API tokens. " +
        "Authenticate with a personal API token as `Authorization: Bearer tg_…`. Errors are JSON: `{ error: { code, message, field? } }`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: "me", description: "The caller" },
      { name: "connections", description: "The catalog of MCP servers" },
      { name: "access", description: "Access requests and their approval" },
      { name: "grants", description: "Time-boxed grants and the gateway tokens bound to them" },
      { name: "sessions", description: "Recorded gateway sessions" },
      { name: "audit", description: "The hash-chained audit log of every change (auditors and admins)" },
      { name: "api-tokens", description: "Your personal API tokens, for scripts and the tollgate CLI" },
      { name: "meta", description: "This document" },
    ],
    paths: {
      "/api/v1/me": {
        get: {
          operationId: "getMe",
          summary: "The caller's profile and the gateway's public URL",
          tags: ["me"],
          responses: { "200": ok("The caller", ref("Me")), ...errors() },
        },
      },
      "/api/v1/connections": {
        get: {
          operationId: "listConnections",
          summary: "List the catalog of connections (MCP servers)",
          tags: ["connections"],
          responses: { "200": ok("Connections, by name", list("Connection")), ...errors("FORBIDDEN") },
        },
        post: {
          operationId: "createConnection",
          summary: "Register a connection (admin)",
          description: "Credential headers and environment variables are sealed (AES-256-GCM) and never returned.",
          tags: ["connections"],
          requestBody: body("CreateConnection", true),
          responses: { "201": ok("The new connection", ref("Connection")), ...errors("BAD_REQUEST", "FORBIDDEN", "CONFLICT") },
        },
      },
      "/api/v1/connections/{slug}": {
        get: {
          operationId: "getConnection",
          summary: "One connection",
          tags: ["connections"],
          parameters: [slugParam],
          responses: { "200": ok("The connection", ref("Connection")), ...errors("FORBIDDEN", "NOT_FOUND") },
        },
        patch: {
          operationId: "updateConnection",
          summary: "Change a connection (admin)",
          description:
            "Send only the fields to change. The slug and transport cannot change; `url` fits Streamable HTTP connections, " +
            "`command`, `args` and `env` fit stdio ones — any other field is a 400 naming it, as is an empty body. " +
            "`headers` / `env` replace that part of the sealed credential (write-only, never returned); `clearCredential: true` removes it. " +
            "A new `maxMinutes` applies to new requests; existing grants keep their expiry. " +
            "Gateways use the new settings and credential for sessions opened from now on; open sessions keep theirs until they end.",
          tags: ["connections"],
          parameters: [slugParam],
          requestBody: body("UpdateConnection", true),
          responses: {
            "200": ok("The changed connection", ref("Connection")),
            ...errors("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND", "CONFLICT"),
          },
        },
      },
      "/api/v1/access-requests": {
        get: {
          operationId: "listAccessRequests",
          summary: "List access requests",
          tags: ["access"],
          parameters: [
            {
              name: "scope",
              in: "query",
              required: false,
              description:
                "`mine` (default): your own; `pending`: everyone's pending (approvers); `all`: everyone's (approvers, auditors, admins).",
              schema: { type: "string", enum: ["mine", "pending", "all"], default: "mine" },
            },
          ],
          responses: { "200": ok("Requests, newest first (at most 200)", list("AccessRequest")), ...errors("BAD_REQUEST", "FORBIDDEN") },
        },
        post: {
          operationId: "createAccessRequest",
          summary: "Request time-boxed access to a connection",
          tags: ["access"],
          requestBody: body("CreateAccessRequest", true),
          responses: { "201": ok("The pending request", ref("AccessRequest")), ...errors("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND") },
        },
      },
      "/api/v1/access-requests/{id}": {
        get: {
          operationId: "getAccessRequest",
          summary: "One access request",
          tags: ["access"],
          parameters: [idParam("Access request id")],
          responses: { "200": ok("The request", ref("AccessRequest")), ...errors("NOT_FOUND") },
        },
      },
      "/api/v1/access-requests/{id}/approve": {
        post: {
          operationId: "approveAccessRequest",
          summary: "Approve a pending request (approvers; not your own)",
          description: "Creates the grant, starting now, for the requested minutes.",
          tags: ["access"],
          parameters: [idParam("Access request id")],
          requestBody: body("DecideAccessRequest", false),
          responses: {
            "200": ok("The approved request, with its grant", ref("AccessRequest")),
            ...errors("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND", "CONFLICT"),
          },
        },
      },
      "/api/v1/access-requests/{id}/deny": {
        post: {
          operationId: "denyAccessRequest",
          summary: "Deny a pending request (approvers; not your own)",
          tags: ["access"],
          parameters: [idParam("Access request id")],
          requestBody: body("DecideAccessRequest", false),
          responses: {
            "200": ok("The denied request", ref("AccessRequest")),
            ...errors("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND", "CONFLICT"),
          },
        },
      },
      "/api/v1/access-requests/{id}/cancel": {
        post: {
          operationId: "cancelAccessRequest",
          summary: "Withdraw your own pending request",
          tags: ["access"],
          parameters: [idParam("Access request id")],
          responses: { "200": ok("The cancelled request", ref("AccessRequest")), ...errors("FORBIDDEN", "NOT_FOUND", "CONFLICT") },
        },
      },
      "/api/v1/grants": {
        get: {
          operationId: "listGrants",
          summary: "List grants",
          tags: ["grants"],
          parameters: [
            {
              name: "scope",
              in: "query",
              required: false,
              description: "`mine` (default): your own; `all`: everyone's (approvers, auditors, admins).",
              schema: { type: "string", enum: ["mine", "all"], default: "mine" },
            },
            {
              name: "active",
              in: "query",
              required: false,
              description: "`1`: only grants that are active now (not expired, not revoked).",
              schema: { type: "string", enum: ["1", "0"] },
            },
          ],
          responses: { "200": ok("Grants, newest first (at most 200)", list("Grant")), ...errors("BAD_REQUEST", "FORBIDDEN") },
        },
      },
      "/api/v1/grants/{id}/tokens": {
        post: {
          operationId: "mintGatewayToken",
          summary: "Mint a gateway access token for one of your active grants",
          description:
            "The token is returned once (`Cache-Control: no-store`) and stored only as a hash. Use it as the Bearer token towards the gateway.",
          tags: ["grants"],
          parameters: [idParam("Grant id")],
          responses: { "201": ok("The new token", ref("GatewayToken")), ...errors("FORBIDDEN", "NOT_FOUND", "GONE") },
        },
        get: {
          operationId: "listGatewayTokens",
          summary: "List the gateway tokens minted for a grant (its holder; approvers, auditors and admins)",
          tags: ["grants"],
          parameters: [idParam("Grant id")],
          responses: { "200": ok("The grant's tokens, newest first", list("GatewayTokenInfo")), ...errors("FORBIDDEN", "NOT_FOUND") },
        },
      },
      "/api/v1/gateway-tokens/{id}/revoke": {
        post: {
          operationId: "revokeGatewayToken",
          summary: "Revoke one gateway token without ending the grant (its holder; approvers and admins)",
          description: "Gateways refuse the token from the next request and end the sessions it opened.",
          tags: ["grants"],
          parameters: [idParam("Gateway token id")],
          responses: { "200": ok("The revoked token", ref("GatewayTokenInfo")), ...errors("FORBIDDEN", "NOT_FOUND", "CONFLICT") },
        },
      },
      "/api/v1/grants/{id}/revoke": {
        post: {
          operationId: "revokeGrant",
          summary: "Revoke a grant (approvers and admins: any; holders: their own)",
          description: "Gateways cut the grant's open sessions at once.",
          tags: ["grants"],
          parameters: [idParam("Grant id")],
          requestBody: body("RevokeGrant", false),
          responses: { "200": ok("The revoked grant", ref("Grant")), ...errors("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND", "CONFLICT") },
        },
      },
      "/api/v1/sessions": {
        get: {
          operationId: "listSessions",
          summary: "List recorded sessions (your own, or everyone's for approvers, auditors and admins)",
          tags: ["sessions"],
          responses: { "200": ok("Sessions, newest first (at most 100)", list("Session")), ...errors() },
        },
      },
      "/api/v1/sessions/{id}": {
        get: {
          operationId: "getSession",
          summary: "One recorded session",
          tags: ["sessions"],
          parameters: [idParam("Session id")],
          responses: { "200": ok("The session", ref("Session")), ...errors("FORBIDDEN", "NOT_FOUND") },
        },
      },
      "/api/v1/sessions/{id}/events": {
        get: {
          operationId: "listSessionEvents",
          summary: "A session's recorded messages, in order",
          tags: ["sessions"],
          parameters: [
            idParam("Session id"),
            {
              name: "after",
              in: "query",
              required: false,
              description: "Only events with a seq greater than this (for paging and following a live session).",
              schema: { type: "integer", minimum: 0, default: 0 },
            },
          ],
          responses: {
            "200": ok("Events by seq (at most 1000 per call)", list("SessionEvent")),
            ...errors("BAD_REQUEST", "FORBIDDEN", "NOT_FOUND"),
          },
        },
      },
      "/api/v1/audit-events": {
        get: {
          operationId: "listAuditEvents",
          summary: "Read the audit log, newest first (auditors and admins)",
          description: "Filters combine with AND. Page with `nextCursor`: pass it as `?before=` until it is null.",
          tags: ["audit"],
          parameters: [
            {
              name: "action",
              in: "query",
              required: false,
              description: "An action, or a prefix of one: `grant.` matches `grant.created` and `grant.revoked`.",
              schema: { type: "string", maxLength: 200 },
            },
            {
              name: "targetType",
              in: "query",
              required: false,
              description: "Exactly this target type, e.g. `Grant`.",
              schema: { type: "string", maxLength: 100 },
            },
            {
              name: "targetId",
              in: "query",
              required: false,
              description: "Exactly this target id.",
              schema: { type: "string", maxLength: 200 },
            },
            {
              name: "actor",
              in: "query",
              required: false,
              description: "Exactly this actor email.",
              schema: { type: "string", maxLength: 320 },
            },
            {
              name: "before",
              in: "query",
              required: false,
              description: "Only events older than this id (the previous page's `nextCursor`).",
              schema: { type: "string", pattern: "^[0-9]+$" },
            },
            {
              name: "limit",
              in: "query",
              required: false,
              description: "Page size.",
              schema: { type: "integer", minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT },
            },
          ],
          responses: { "200": ok("One page of audit events", ref("AuditEventPage")), ...errors("BAD_REQUEST", "FORBIDDEN") },
        },
      },
      "/api/v1/audit-events/verify": {
        get: {
          operationId: "verifyAuditChain",
          summary: "Recompute the audit hash chain (auditors and admins)",
          description: "Walks every event from the first; `ok: false` names the first event whose hash or link does not match.",
          tags: ["audit"],
          responses: { "200": ok("Whether the chain is intact", ref("AuditChainResult")), ...errors("FORBIDDEN") },
        },
      },
      "/api/v1/api-tokens": {
        get: {
          operationId: "listApiTokens",
          summary: "List your personal API tokens",
          description:
            "Revoked and expired tokens included. Only the prefix of each token is shown; the token itself is never returned again.",
          tags: ["api-tokens"],
          responses: { "200": ok("Your tokens, newest first (at most 200)", list("ApiToken")), ...errors() },
        },
        post: {
          operationId: "createApiToken",
          summary: "Create a personal API token",
          description:
            "The token is returned once (`Cache-Control: no-store`) and stored only as a hash. " +
            "Use it as `Authorization: Bearer tg_…` towards this API, or `export TOLLGATE_TOKEN=…` for the tollgate CLI.",
          tags: ["api-tokens"],
          requestBody: body("CreateApiToken", true),
          responses: { "201": ok("The new token", ref("CreatedApiToken")), ...errors("BAD_REQUEST") },
        },
      },
      "/api/v1/api-tokens/{id}/revoke": {
        post: {
          operationId: "revokeApiToken",
          summary: "Revoke one of your personal API tokens",
          description: "The token stops working at once. Other people's tokens are not found.",
          tags: ["api-tokens"],
          parameters: [idParam("API token id")],
          responses: { "200": ok("The revoked token", ref("ApiToken")), ...errors("NOT_FOUND", "CONFLICT") },
        },
      },
      "/api/v1/openapi.json": {
        get: {
          operationId: "getOpenApiDocument",
          summary: "This document",
          tags: ["meta"],
          security: [],
          responses: { "200": { description: "OpenAPI 3.1 document", content: { "application/json": { schema: { type: "object" } } } } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "Personal API token (tg_…)" },
      },
      schemas: schemas(),
      responses: Object.fromEntries(
        (Object.keys(ERROR_DESCRIPTIONS) as AppErrorCode[]).map((code) => [
          code,
          { description: ERROR_DESCRIPTIONS[code], content: json(ref("Error")) },
        ]),
      ),
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The OpenAPI 3.1 document for /api/v1 (built once per process). */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildDocument();
  return cached;
}

// ---- the documented shapes are the served shapes ----------------------------------------------
// Each view must be assignable to its documented schema, and have no field the schema omits.

type Documents<View, Schema extends z.ZodType> = [View] extends [z.output<Schema>]
  ? [Exclude<keyof View, keyof z.output<Schema>>] extends [never]
    ? true
    : false
  : false;
type Assert<T extends true> = T;
export type OpenApiShapeChecks = [
  Assert<Documents<UserView, typeof user>>,
  Assert<Documents<ConnectionView, typeof connection>>,
  Assert<Documents<GrantView, typeof grant>>,
  Assert<Documents<AccessRequestView, typeof accessRequest>>,
  Assert<Documents<AccessRequestView["approvals"][number], (typeof accessRequest)["shape"]["approvals"]["element"]>>,
  Assert<Documents<Awaited<ReturnType<typeof mintGatewayToken>>, typeof gatewayToken>>,
  Assert<Documents<ApiTokenView, typeof apiToken>>,
  Assert<Documents<GatewayTokenView, typeof gatewayTokenInfo>>,
  Assert<Documents<CreatedApiToken, typeof createdApiToken>>,
  Assert<Documents<SessionView, typeof session>>,
  Assert<Documents<SessionEventView, typeof sessionEvent>>,
  Assert<Documents<AuditEventView, typeof auditEvent>>,
  Assert<Documents<AuditEventPage, typeof auditEventPage>>,
  Assert<Documents<Extract<AuditChainResult, { ok: true }>, typeof auditChainIntact>>,
  Assert<Documents<Extract<AuditChainResult, { ok: false }>, typeof auditChainBroken>>,
];
