import { randomBytes } from "node:crypto";
import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { OAuthError } from "./errors.ts";
import { type FindClientOptions, findClient, type OAuthClientInfo } from "./find-client.ts";
import { activeGrantFor, completeWithCode, errorRedirect } from "./issue-code.ts";
import { isRegisteredRedirectUri } from "./redirect-uri.ts";
import { parseResource } from "./resource.ts";
import { authorizationRequestSchema, describeIssues } from "./schema.ts";
import { OAUTH_LIFETIMES, OAUTH_SCOPE, type OAuthSettings } from "./settings.ts";

// GET /oauth/authorize: validate the request, then either send the browser back to the client
// (an error, or a code when the user consented to this client before and holds an active grant)
// or record the authorization in progress and show the consent page — which, without a grant, is
// the access request form.

export interface ConsentPage {
  kind: "consent";
  /** The page's form token: the OAuthAuthorization id, bound to the user. */
  authorizationId: string;
  client: OAuthClientInfo & { redirectHost: string };
  connection: { slug: string; name: string; maxMinutes: number; description: string | null };
  resource: string;
  /** The grant the client would use; null: the page is the access request form. */
  grant: { id: string; expiresAt: Date } | null;
  /** May the user file an access request (the REQUESTER role)? */
  canRequest: boolean;
  expiresAt: Date;
}

export type AuthorizationStart =
  /** The client or redirect URI cannot be trusted: say so on the page, never redirect. */
  | { kind: "invalid"; message: string }
  /** Back to the client (an error response, or a code for a remembered consent). */
  | { kind: "redirect"; url: string }
  | ConsentPage;

export async function startAuthorization(
  db: Db,
  options: { actor: Actor; query: Record<string, string | undefined>; settings: OAuthSettings; clients?: FindClientOptions; now?: Date },
): Promise<AuthorizationStart> {
  const { actor, query, settings } = options;
  const now = options.now ?? new Date();
  const clientId = query.client_id;
  if (!clientId) return { kind: "invalid", message: "The request names no client (client_id is missing)." };
  let client: OAuthClientInfo;
  try {
    client = await findClient(db, clientId, options.clients);
  } catch (error) {
    if (error instanceof OAuthError) return { kind: "invalid", message: `The client could not be identified: ${error.description}` };
    throw error;
  }
  const redirectUri = query.redirect_uri;
  if (!redirectUri) return { kind: "invalid", message: "The request names no redirect_uri." };
  if (!isRegisteredRedirectUri(client.redirectUris, redirectUri)) {
    return { kind: "invalid", message: `The redirect_uri is not one that ${client.name} registered; nothing is sent to it.` };
  }
  // From here on the client may be told what is wrong, at its own redirect URI.
  const state = query.state ?? null;
  const fail = (error: string, description: string): AuthorizationStart => ({
    kind: "redirect",
    url: errorRedirect({ redirectUri, state }, error, description, settings.issuer),
  });
  const parsed = authorizationRequestSchema.safeParse(query);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path[0];
    return fail(field === "response_type" ? "unsupported_response_type" : "invalid_request", describeIssues(parsed.error));
  }
  const request = parsed.data;
  const scopes = (request.scope ?? OAUTH_SCOPE).split(" ").filter(Boolean);
  if (scopes.some((scope) => scope !== OAUTH_SCOPE)) return fail("invalid_scope", `The only scope is "${OAUTH_SCOPE}".`);
  const target = parseResource(request.resource, settings.gatewayOrigin);
  if (!target) {
    return fail(
      "invalid_target",
      `resource must be a Tollgate connection URL: ${settings.gatewayOrigin}/mcp/<connection-slug> (or /sse/…, ws…/ws/…).`,
    );
  }
  const connection = await db.connection.findUnique({
    where: { slug: target.slug },
    select: { id: true, slug: true, name: true, maxMinutes: true, description: true },
  });
  if (!connection) return fail("invalid_target", `No MCP connection "${target.slug}" is registered in Tollgate.`);

  const authorization = {
    id: randomBytes(32).toString("base64url"),
    clientId: client.id,
    userId: actor.id,
    connectionId: connection.id,
    redirectUri,
    state,
    codeChallenge: request.code_challenge,
    scope: OAUTH_SCOPE,
    resource: target.resource,
  };
  const expiresAt = new Date(now.getTime() + OAUTH_LIFETIMES.authorizationMinutes * 60_000);
  await db.oAuthAuthorization.create({ data: { ...authorization, expiresAt } });

  const grant = await activeGrantFor(db, actor.id, connection.id, now);
  if (grant) {
    const consent = await db.oAuthConsent.findUnique({
      where: { userId_clientId_connectionId: { userId: actor.id, clientId: client.id, connectionId: connection.id } },
    });
    if (consent) {
      const url = await completeWithCode(db, { actor, authorization, grantId: grant.id, issuer: settings.issuer, now });
      if (url) return { kind: "redirect", url };
    }
  }
  return {
    kind: "consent",
    authorizationId: authorization.id,
    client: { ...client, redirectHost: new URL(redirectUri).host || redirectUri },
    connection: { slug: connection.slug, name: connection.name, maxMinutes: connection.maxMinutes, description: connection.description },
    resource: target.resource,
    grant: grant ? { id: grant.id, expiresAt: grant.expiresAt } : null,
    canRequest: can(actor, "access:request"),
    expiresAt,
  };
}
