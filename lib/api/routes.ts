import { z } from "zod";
import { createAccessRequestSchema, decideAccessRequestSchema, listAccessRequestsQuerySchema } from "../access/schema.ts";
import { accessRequestViewSchema } from "../access/views.ts";
import { listAuditEventsQuerySchema } from "../audit/schema.ts";
import { auditChainResultSchema, auditEventPageSchema } from "../audit/views.ts";
import type { Permission } from "../authz/permissions.ts";
import { createConnectionSchema, updateConnectionSchema } from "../connections/schema.ts";
import { connectionViewSchema } from "../connections/views.ts";
import type { AppErrorCode } from "../errors.ts";
import { listGrantsQuerySchema, revokeGrantSchema } from "../grants/schema.ts";
import { grantViewSchema } from "../grants/views.ts";
import { decideHeldCallSchema, listHeldCallsQuerySchema } from "../held-calls/schema.ts";
import { heldCallViewSchema } from "../held-calls/views.ts";
import { previewPolicySchema, savePolicySchema } from "../policies/schema.ts";
import { policyPreviewSchema, policySampleSchema, policyVersionViewSchema, policyViewSchema } from "../policies/views.ts";
import { exportSessionQuerySchema, exportSessionsQuerySchema, MAX_EXPORT_SESSIONS } from "../recording/export-schema.ts";
import { SESSION_EVENTS_PAGE } from "../recording/limits.ts";
import { listSessionEventsQuerySchema } from "../recording/schema.ts";
import { listSessionsQuerySchema, sessionListPageSchema } from "../recording/session-filters.ts";
import { sessionEventViewSchema, sessionVerificationSchema, sessionViewSchema } from "../recording/views.ts";
import { createApiTokenSchema } from "../tokens/schema.ts";
import { apiTokenViewSchema, createdApiTokenSchema, gatewayTokenViewSchema, mintedGatewayTokenSchema } from "../tokens/views.ts";
import { meViewSchema, serviceAccountViewSchema } from "../users/views.ts";
import { noBodySchema } from "../validate.ts";

// Every route under app/api/v1, once: lib/api/openapi.ts builds the OpenAPI document from this
// list, and lib/api/openapi.test.ts checks it against the route files (every route and method
// documented, the same body and query schemas passed to readJson/readQuery, the same status).
//
// To add a route: write app/api/v1/<path>/route.ts (parsing its body with readJson(request, schema)
// and its query with readQuery(request, schema), schemas from lib/<area>/schema.ts), then add one
// entry below with those schemas and the zod schema of its response (lib/<area>/views.ts, which
// types the presenter). Errors follow from the entry (see impliedErrors in openapi.ts); list only
// the others in `errors`.

export const API_TAGS = {
  me: "The caller",
  connections: "The catalog of MCP servers",
  access: "Access requests and their approval",
  grants: "Time-boxed grants and the gateway tokens bound to them",
  "held-calls": "Tool calls a require-approval rule holds at the gateway until an approver decides",
  policies: "Guardrail and masking policies, global and per connection, versioned",
  sessions: "Recorded gateway sessions",
  audit: "The hash-chained audit log of every change (auditors and admins)",
  "api-tokens": "Your personal API tokens, for scripts and the tollgate CLI",
  "service-accounts": "Automation identities that call with IdP-issued JWTs (admins and auditors)",
  events: "Live change notifications for dashboards",
  meta: "This document",
} as const;
export type ApiTag = keyof typeof API_TAGS;

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

export interface ApiRoute {
  method: HttpMethod;
  /** The OpenAPI path: the folder under app/api/v1 with `[name]` written `{name}`. */
  path: `/api/v1/${string}`;
  operationId: string;
  summary: string;
  description?: string;
  tag: ApiTag;
  /** The permission every caller needs (documented with the roles that have it; implies 403). */
  permission?: Permission;
  /** Descriptions of the path parameters, by name (each is a string). */
  params?: Record<string, string>;
  /** The schema the route passes to readJson. */
  body?: z.ZodType;
  /** Whether a body must be sent. Default: unless the body schema accepts `{}` (what readJson makes of an empty body). */
  bodyRequired?: boolean;
  /** The schema the route passes to readQuery. */
  query?: z.ZodObject;
  /** The success response's schema (for JSON, the one its presenter is typed by). */
  response: z.ZodType;
  /** The success response, in words. */
  returns: string;
  /** The success status (handle()'s `status` option). Default 200. */
  status?: 200 | 201;
  /** Errors beyond the implied ones (400 with a body or query, 401, 403 with a permission or for writes, 404 with path parameters). */
  errors?: readonly AppErrorCode[];
  /** Answered without authentication. */
  public?: true;
  /** The success response carries `Cache-Control: no-store` (a secret shown once). */
  noStore?: true;
  /** Default application/json. */
  contentType?: "application/json" | "text/event-stream" | "application/x-ndjson";
  /** Other media types the success response may have (e.g. by a `format` query parameter), with the same schema. */
  alsoContentTypes?: readonly "text/plain"[];
}

const id = (what: string) => ({ id: `${what} id` });
const slug = { slug: "Connection slug, e.g. `github-prod`" };

/** The global policy (/api/v1/policy…) and each connection's (/api/v1/connections/{slug}/policy…) have the same operations. */
function policyRoutes(scope: "global" | "connection"): ApiRoute[] {
  const base = scope === "global" ? "/api/v1/policy" : "/api/v1/connections/{slug}/policy";
  const name = scope === "global" ? "GlobalPolicy" : "ConnectionPolicy";
  const which = scope === "global" ? "the global policy" : "a connection's policy";
  const params = { ...(scope === "connection" ? slug : {}), version: "Version number, from 1" };
  return [
    {
      method: "get",
      path: `${base}`,
      operationId: `get${name}`,
      summary: `Read ${which} (the version in force)`,
      tag: "policies",
      permission: "connections:read",
      params,
      response: policyViewSchema,
      returns: "The policy in force",
    },
    {
      method: "put",
      path: `${base}`,
      operationId: `save${name}`,
      summary: `Save ${which} as a new version (admin)`,
      description:
        "The whole document. Send the `baseVersion` you edited to get a 409 instead of overwriting a version saved meanwhile. " +
        "Gateways apply the new version to the next message.",
      tag: "policies",
      permission: "policies:write",
      params,
      body: savePolicySchema,
      response: policyViewSchema,
      returns: "The policy now in force",
      errors: ["CONFLICT"],
    },
    {
      method: "get",
      path: `${base}/versions`,
      operationId: `list${name}Versions`,
      summary: `Every saved version of ${which}`,
      tag: "policies",
      permission: "connections:read",
      params,
      response: z.array(policyVersionViewSchema),
      returns: "Versions, newest first (at most 500)",
    },
    {
      method: "get",
      path: `${base}/versions/{version}`,
      operationId: `get${name}Version`,
      summary: `One saved version of ${which}`,
      tag: "policies",
      permission: "connections:read",
      params,
      response: policyVersionViewSchema,
      returns: "The version",
    },
    {
      method: "post",
      path: `${base}/versions/{version}/restore`,
      operationId: `restore${name}Version`,
      summary: `Save an old version of ${which} again, as the newest (admin)`,
      tag: "policies",
      permission: "policies:write",
      params,
      body: noBodySchema,
      response: policyViewSchema,
      returns: "The policy now in force",
    },
  ];
}

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: "get",
    path: "/api/v1/me",
    operationId: "getMe",
    summary: "The caller's profile and the gateway's public URL",
    tag: "me",
    response: meViewSchema,
    returns: "The caller",
  },
  {
    method: "get",
    path: "/api/v1/service-accounts",
    operationId: "listServiceAccounts",
    summary: "List service accounts",
    description:
      "Automation identities are created on first use: an IdP-issued JWT access token (client credentials) from a trusted issuer " +
      "(TOLLGATE_JWT_ISSUERS), for Tollgate's audience (TOLLGATE_JWT_AUDIENCE), presented as `Authorization: Bearer <jwt>` " +
      "to this API or to the gateway. Roles come from its groups claim through ROLE_MAPPINGS.",
    tag: "service-accounts",
    permission: "service-accounts:read",
    response: z.array(serviceAccountViewSchema),
    returns: "Service accounts, most recently used first (at most 500)",
  },
  {
    method: "get",
    path: "/api/v1/connections",
    operationId: "listConnections",
    summary: "List the catalog of connections (MCP servers)",
    tag: "connections",
    permission: "connections:read",
    response: z.array(connectionViewSchema),
    returns: "Connections, by name",
  },
  {
    method: "post",
    path: "/api/v1/connections",
    operationId: "createConnection",
    summary: "Register a connection (admin)",
    description: "Credential headers and environment variables are sealed (AES-256-GCM) and never returned.",
    tag: "connections",
    permission: "connections:write",
    body: createConnectionSchema,
    response: connectionViewSchema,
    returns: "The new connection",
    status: 201,
    errors: ["CONFLICT"],
  },
  {
    method: "get",
    path: "/api/v1/connections/{slug}",
    operationId: "getConnection",
    summary: "One connection",
    tag: "connections",
    permission: "connections:read",
    params: slug,
    response: connectionViewSchema,
    returns: "The connection",
  },
  {
    method: "patch",
    path: "/api/v1/connections/{slug}",
    operationId: "updateConnection",
    summary: "Change a connection (admin)",
    description:
      "Send only the fields to change. The slug and transport cannot change; `url` fits Streamable HTTP connections, " +
      "`command`, `args` and `env` fit stdio ones — any other field is a 400 naming it, as is an empty body. " +
      "`headers` / `env` replace that part of the sealed credential (write-only, never returned); `clearCredential: true` removes it. " +
      "A new `maxMinutes` applies to new requests; existing grants keep their expiry. " +
      "Gateways use the new settings and credential for sessions opened from now on; open sessions keep theirs until they end.",
    tag: "connections",
    permission: "connections:write",
    params: slug,
    body: updateConnectionSchema,
    bodyRequired: true, // every field is optional, but a body without one is a 400
    response: connectionViewSchema,
    returns: "The changed connection",
    errors: ["CONFLICT"],
  },
  {
    method: "get",
    path: "/api/v1/access-requests",
    operationId: "listAccessRequests",
    summary: "List access requests",
    tag: "access",
    query: listAccessRequestsQuerySchema,
    response: z.array(accessRequestViewSchema),
    returns: "Requests, newest first (at most 200)",
    errors: ["FORBIDDEN"],
  },
  {
    method: "post",
    path: "/api/v1/access-requests",
    operationId: "createAccessRequest",
    summary: "Request time-boxed access to a connection",
    tag: "access",
    permission: "access:request",
    body: createAccessRequestSchema,
    response: accessRequestViewSchema,
    returns: "The pending request",
    status: 201,
    errors: ["NOT_FOUND"],
  },
  {
    method: "get",
    path: "/api/v1/access-requests/{id}",
    operationId: "getAccessRequest",
    summary: "One access request (your own, or anyone's for approvers, auditors and admins; 404 for others' otherwise)",
    tag: "access",
    params: id("Access request"),
    response: accessRequestViewSchema,
    returns: "The request",
  },
  {
    method: "post",
    path: "/api/v1/access-requests/{id}/approve",
    operationId: "approveAccessRequest",
    summary: "Approve a pending request (approvers; not your own)",
    description: "Creates the grant, starting now, for the requested minutes.",
    tag: "access",
    permission: "access:decide",
    params: id("Access request"),
    body: decideAccessRequestSchema,
    response: accessRequestViewSchema,
    returns: "The approved request, with its grant",
    errors: ["CONFLICT"],
  },
  {
    method: "post",
    path: "/api/v1/access-requests/{id}/deny",
    operationId: "denyAccessRequest",
    summary: "Deny a pending request (approvers; not your own)",
    tag: "access",
    permission: "access:decide",
    params: id("Access request"),
    body: decideAccessRequestSchema,
    response: accessRequestViewSchema,
    returns: "The denied request",
    errors: ["CONFLICT"],
  },
  {
    method: "post",
    path: "/api/v1/access-requests/{id}/cancel",
    operationId: "cancelAccessRequest",
    summary: "Withdraw your own pending request",
    tag: "access",
    params: id("Access request"),
    body: noBodySchema,
    response: accessRequestViewSchema,
    returns: "The cancelled request",
    errors: ["CONFLICT"],
  },
  {
    method: "get",
    path: "/api/v1/grants",
    operationId: "listGrants",
    summary: "List grants",
    tag: "grants",
    query: listGrantsQuerySchema,
    response: z.array(grantViewSchema),
    returns: "Grants, newest first (at most 200)",
    errors: ["FORBIDDEN"],
  },
  {
    method: "get",
    path: "/api/v1/grants/{id}/tokens",
    operationId: "listGatewayTokens",
    summary: "List the gateway tokens minted for a grant (its holder; approvers, auditors and admins)",
    tag: "grants",
    params: id("Grant"),
    response: z.array(gatewayTokenViewSchema),
    returns: "The grant's tokens, newest first",
  },
  {
    method: "post",
    path: "/api/v1/grants/{id}/tokens",
    operationId: "mintGatewayToken",
    summary: "Mint a gateway access token for one of your active grants",
    description: "The token is returned once and stored only as a hash. Use it as the Bearer token towards the gateway.",
    tag: "grants",
    params: id("Grant"),
    body: noBodySchema,
    response: mintedGatewayTokenSchema,
    returns: "The new token",
    status: 201,
    noStore: true,
    errors: ["GONE"],
  },
  {
    method: "post",
    path: "/api/v1/grants/{id}/revoke",
    operationId: "revokeGrant",
    summary: "Revoke a grant (approvers and admins: any; holders: their own)",
    description: "Gateways cut the grant's open sessions at once.",
    tag: "grants",
    params: id("Grant"),
    body: revokeGrantSchema,
    response: grantViewSchema,
    returns: "The revoked grant",
    errors: ["CONFLICT"],
  },
  {
    method: "post",
    path: "/api/v1/gateway-tokens/{id}/revoke",
    operationId: "revokeGatewayToken",
    summary: "Revoke one gateway token without ending the grant (its holder; approvers and admins)",
    description: "Gateways refuse the token from the next request and end the sessions it opened.",
    tag: "grants",
    params: id("Gateway token"),
    body: noBodySchema,
    response: gatewayTokenViewSchema,
    returns: "The revoked token",
    errors: ["CONFLICT"],
  },
  {
    method: "get",
    path: "/api/v1/held-calls",
    operationId: "listHeldCalls",
    summary: "List held calls (your own; approvers, auditors and admins: everyone's)",
    description: "Arguments are masked by the connection's masking rules, as recordings are; `null` when they could not be masked.",
    tag: "held-calls",
    query: listHeldCallsQuerySchema,
    response: z.array(heldCallViewSchema),
    returns: "Held calls, newest first (at most 200)",
  },
  {
    method: "get",
    path: "/api/v1/held-calls/{id}",
    operationId: "getHeldCall",
    summary: "One held call (your own, or anyone's for approvers, auditors and admins; 404 for others' otherwise)",
    tag: "held-calls",
    params: id("Held call"),
    response: heldCallViewSchema,
    returns: "The held call",
  },
  {
    method: "post",
    path: "/api/v1/held-calls/{id}/approve",
    operationId: "approveHeldCall",
    summary: "Approve a pending held call before its deadline (approvers; not your own)",
    description:
      "The gateway holding the call forwards exactly the held message within a second (NOTIFY). " +
      '`scope: "session"` also lets identical calls (same tool and arguments hash) through for the rest of the session.',
    tag: "held-calls",
    permission: "access:decide",
    params: id("Held call"),
    body: decideHeldCallSchema,
    response: heldCallViewSchema,
    returns: "The approved held call",
    errors: ["CONFLICT"],
  },
  {
    method: "post",
    path: "/api/v1/held-calls/{id}/deny",
    operationId: "denyHeldCall",
    summary: "Deny a pending held call (approvers; not your own)",
    description: "The client gets a JSON-RPC error naming you and your comment; the upstream never sees the call.",
    tag: "held-calls",
    permission: "access:decide",
    params: id("Held call"),
    body: decideHeldCallSchema,
    response: heldCallViewSchema,
    returns: "The denied held call",
    errors: ["CONFLICT"],
  },
  ...policyRoutes("global"),
  ...policyRoutes("connection"),
  {
    method: "post",
    path: "/api/v1/policy/preview",
    operationId: "previewPolicy",
    summary: "What the gateway would do with one message, under the saved policies or a draft",
    tag: "policies",
    permission: "connections:read",
    body: previewPolicySchema,
    response: policyPreviewSchema,
    returns: "The decision, and the message as forwarded and as recorded",
    errors: ["NOT_FOUND"],
  },
  {
    method: "get",
    path: "/api/v1/connections/{slug}/policy/samples",
    operationId: "listPolicySamples",
    summary: "The connection's recent recorded messages, to preview a policy on",
    tag: "policies",
    permission: "sessions:read:all",
    params: slug,
    response: z.array(policySampleSchema),
    returns: "Messages, newest first (at most 40)",
  },
  {
    method: "get",
    path: "/api/v1/sessions",
    operationId: "listSessions",
    summary: "List and search recorded sessions (your own, or everyone's for approvers, auditors and admins)",
    description:
      "Filters combine with AND; `q` finds text in recorded payloads (case-insensitive, indexed). Page with `nextCursor`: pass it as `?cursor=` until it is null. Before issue 10 this answered a bare array.",
    tag: "sessions",
    query: listSessionsQuerySchema,
    response: sessionListPageSchema,
    returns: "One page of sessions, newest first",
  },
  {
    method: "get",
    path: "/api/v1/sessions/{id}",
    operationId: "getSession",
    summary: "One recorded session",
    tag: "sessions",
    params: id("Session"),
    response: sessionViewSchema,
    returns: "The session",
  },
  {
    method: "get",
    path: "/api/v1/sessions/{id}/events",
    operationId: "listSessionEvents",
    summary: "A session's recorded messages, in order",
    tag: "sessions",
    params: id("Session"),
    query: listSessionEventsQuerySchema,
    response: z.array(sessionEventViewSchema),
    returns: `Events by seq (at most ${SESSION_EVENTS_PAGE} per call)`,
  },
  {
    method: "get",
    path: "/api/v1/sessions/{id}/verify",
    operationId: "verifySession",
    summary: "Recompute a session recording's hash chain",
    description:
      "Names the first event that was altered or is missing (a gap in seq, a broken link, or newest events deleted: the chain head is stored when the session ends). " +
      "For a session whose events retention purged, checks the signed summary kept instead (`purged`; `summary-invalid` when it was edited). Same visibility as the session.",
    tag: "sessions",
    params: id("Session"),
    response: sessionVerificationSchema,
    returns: "`ok`, the events checked and, when not ok, the first bad event",
    errors: ["TOO_MANY_STREAMS"],
  },
  {
    method: "get",
    path: "/api/v1/sessions/{id}/export",
    operationId: "exportSession",
    summary: "Download a session as JSONL or as a readable transcript",
    description:
      "Streamed, as an attachment. `jsonl`: one line per event — seq, at, direction, kind, method, tool, rpcId, decision, masked, " +
      "replyToSeq, latencyMs, hash and `message`, the JSON-RPC message exactly as recorded (after masking, keys in the order sent). " +
      "`transcript`: a header (session, user, connection, client, start and end, end reason, event count, verification result) and one " +
      "line per event, times in UTC. Requesters export their own sessions only. Every export is an audit event (`session.exported`).",
    tag: "sessions",
    params: id("Session"),
    query: exportSessionQuerySchema,
    response: z.string(),
    returns: "The export (Content-Disposition: attachment)",
    contentType: "application/x-ndjson",
    alsoContentTypes: ["text/plain"],
    errors: ["TOO_MANY_STREAMS"],
  },
  {
    method: "get",
    path: "/api/v1/sessions/export",
    operationId: "exportSessions",
    summary: "Download the sessions matching the list's filters as JSONL or transcripts",
    description:
      `Newest first, at most ${MAX_EXPORT_SESSIONS} sessions: \`X-Tollgate-Export-Capped: true\` (and the body's header) say when more matched. ` +
      '`jsonl`: an `{"export": …}` line (filters, count, capped), then per session a `{"session": …}` line (the session, its verification, ' +
      "a purged session's signed summary) followed by its event lines, as the single-session export has them plus `sessionId`. " +
      "`transcript`: the sessions' transcripts one after another. Requesters export their own sessions only. Every export is an audit event.",
    tag: "sessions",
    query: exportSessionsQuerySchema,
    response: z.string(),
    returns: "The export (Content-Disposition: attachment)",
    contentType: "application/x-ndjson",
    alsoContentTypes: ["text/plain"],
    errors: ["TOO_MANY_STREAMS"],
  },
  {
    method: "get",
    path: "/api/v1/sessions/{id}/stream",
    operationId: "streamSessionEvents",
    summary: "Live tail of a session: its new events as server-sent events",
    description:
      "A `text/event-stream` fed by the gateway's NOTIFY after each recorded commit (no polling). Each new event is re-read and sent " +
      "as `event: event` with `id:` its seq and the SessionEvent (as `/events` returns it) as data; `event: ended` with " +
      "`{ endedAt, endReason }` when the session ends (then the stream closes; it also says so at once for an ended session); " +
      "`: ping` comments every 15 s. Starts after `?after=` (default 0) or, when reconnecting, after `Last-Event-ID`. Same visibility as the session.",
    tag: "sessions",
    params: id("Session"),
    query: listSessionEventsQuerySchema,
    response: z.string(),
    returns: "The event stream",
    contentType: "text/event-stream",
    errors: ["TOO_MANY_STREAMS"],
  },
  {
    method: "get",
    path: "/api/v1/audit-events",
    operationId: "listAuditEvents",
    summary: "Read the audit log, newest first (auditors and admins)",
    description: "Filters combine with AND; an empty filter is no filter. Page with `nextCursor`: pass it as `?before=` until it is null.",
    tag: "audit",
    permission: "audit:read",
    query: listAuditEventsQuerySchema,
    response: auditEventPageSchema,
    returns: "One page of audit events",
  },
  {
    method: "get",
    path: "/api/v1/audit-events/verify",
    operationId: "verifyAuditChain",
    summary: "Recompute the audit hash chain (auditors and admins)",
    description:
      "Walks every event from the first; `ok: false` names the first event whose hash or link does not match, or the checkpointed event that is gone (the newest rows were deleted). Checks the newest signed checkpoint of the chain's head, then writes a new one.",
    tag: "audit",
    permission: "audit:read",
    response: auditChainResultSchema,
    returns: "Whether the chain is intact",
  },
  {
    method: "get",
    path: "/api/v1/api-tokens",
    operationId: "listApiTokens",
    summary: "List your personal API tokens",
    description: "Revoked and expired tokens included. Only the prefix of each token is shown; the token itself is never returned again.",
    tag: "api-tokens",
    response: z.array(apiTokenViewSchema),
    returns: "Your tokens, newest first (at most 200)",
  },
  {
    method: "post",
    path: "/api/v1/api-tokens",
    operationId: "createApiToken",
    summary: "Create a personal API token",
    description:
      "The token is returned once and stored only as a hash. " +
      "Use it as `Authorization: Bearer tg_…` towards this API, or `export TOLLGATE_TOKEN=…` for the tollgate CLI.",
    tag: "api-tokens",
    body: createApiTokenSchema,
    response: createdApiTokenSchema,
    returns: "The new token",
    status: 201,
    noStore: true,
  },
  {
    method: "post",
    path: "/api/v1/api-tokens/{id}/revoke",
    operationId: "revokeApiToken",
    summary: "Revoke one of your personal API tokens",
    description: "The token stops working at once. Other people's tokens are not found.",
    tag: "api-tokens",
    params: id("API token"),
    body: noBodySchema,
    response: apiTokenViewSchema,
    returns: "The revoked token",
    errors: ["CONFLICT"],
  },
  {
    method: "get",
    path: "/api/v1/events",
    operationId: "streamEvents",
    summary: "Server-sent events: hints that something changed, for live dashboards",
    description:
      "A `text/event-stream` that stays open: `ready` once, `ping` every 25 s, and one event per change, named after its kind " +
      "(e.g. `accessRequests`, `grantRevoked`, `heldCalls`), with at most an `{ id }` as data. Events carry no data: refetch through the API.",
    tag: "events",
    response: z.string(),
    returns: "The event stream",
    contentType: "text/event-stream",
    errors: ["TOO_MANY_STREAMS"],
  },
  {
    method: "get",
    path: "/api/v1/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This document",
    tag: "meta",
    public: true,
    response: z.record(z.string(), z.unknown()),
    returns: "The OpenAPI 3.1 document",
  },
];
