import { randomBytes } from "node:crypto";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { sha256Hex } from "../hash.ts";
import { mintGatewayToken } from "../tokens/mint-gateway-token.ts";
import { OAuthError } from "./errors.ts";
import { verifyPkce } from "./pkce.ts";
import { describeIssues, type TokenRequest, tokenRequestSchema } from "./schema.ts";
import { OAUTH_LIFETIMES } from "./settings.ts";

// POST /oauth/token. The access token is a gateway token (opaque, hashed at rest) bound to the
// grant the user consented with, so the gateway's resolution, revocation and grant cache apply
// unchanged; it also ends after an hour (never after its grant). The refresh token is hashed at
// rest, rotated on every use (replaying a used one revokes its whole family) and refused once the
// grant has ended or was revoked.

export const REFRESH_TOKEN_PREFIX = "tgr_";

export interface TokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** Parses the form body (a string record) of a token request. */
export function parseTokenRequest(form: Record<string, string>): TokenRequest {
  if (!form.grant_type) throw new OAuthError("invalid_request", "grant_type is required.");
  if (form.grant_type !== "authorization_code" && form.grant_type !== "refresh_token") {
    throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token.");
  }
  const parsed = tokenRequestSchema.safeParse(form);
  if (!parsed.success) throw new OAuthError("invalid_request", describeIssues(parsed.error));
  return parsed.data;
}

async function actorOf(db: Db, userId: string): Promise<Actor> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { id: true, email: true, roles: true } });
  if (!user) throw new OAuthError("invalid_grant", "The user of this authorization no longer exists.");
  return user;
}

async function activeGrant(db: Db, grantId: string, now: Date) {
  const grant = await db.grant.findUnique({ where: { id: grantId } });
  if (!grant || grant.revokedAt || grant.expiresAt <= now) {
    const why = !grant ? "no longer exists" : grant.revokedAt ? "was revoked" : "has expired";
    throw new OAuthError("invalid_grant", `The access grant behind this authorization ${why}; authorize again to request access.`);
  }
  return grant;
}

/** Access token (≤ 1 h, never past the grant) plus a new refresh token in `familyId`. */
async function issueTokens(
  db: Db,
  options: { userId: string; grantId: string; clientId: string; resource: string; scope: string; familyId: string; now: Date },
): Promise<TokenResponse> {
  const { now } = options;
  const grant = await activeGrant(db, options.grantId, now);
  const actor = await actorOf(db, options.userId);
  const expiresAt = new Date(Math.min(now.getTime() + OAUTH_LIFETIMES.accessTokenSeconds * 1000, grant.expiresAt.getTime()));
  const minted = await mintGatewayToken(db, {
    actor,
    grantId: grant.id,
    oauth: { clientId: options.clientId, resource: options.resource, expiresAt },
  });
  const refresh = `${REFRESH_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  await db.oAuthRefreshToken.create({
    data: {
      hash: sha256Hex(refresh),
      familyId: options.familyId,
      clientId: options.clientId,
      userId: options.userId,
      grantId: grant.id,
      scope: options.scope,
      resource: options.resource,
      expiresAt: grant.expiresAt,
    },
  });
  return {
    access_token: minted.token,
    token_type: "Bearer",
    expires_in: Math.max(1, Math.floor((expiresAt.getTime() - now.getTime()) / 1000)),
    refresh_token: refresh,
    scope: options.scope,
  };
}

/** Everything issued from one authorization code (a replayed code or refresh token): refresh tokens and access tokens. */
async function revokeFamily(db: Db, family: { familyId: string; clientId: string; grantId: string }, now: Date): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.oAuthRefreshToken.updateMany({ where: { familyId: family.familyId, revokedAt: null }, data: { revokedAt: now } });
    const revoked = await tx.gatewayToken.updateManyAndReturn({
      where: { grantId: family.grantId, oauthClientId: family.clientId, revokedAt: null },
      data: { revokedAt: now },
      select: { id: true },
    });
    // Like a token revoked in the portal: gateways drop it from their caches and end the sessions it
    // opened (a WebSocket or SSE session is not authenticated again), on commit.
    for (const { id } of revoked) await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.gatewayTokenRevoked}, ${id})`;
  });
}

export async function exchangeToken(db: Db, options: { request: TokenRequest; now?: Date }): Promise<TokenResponse> {
  const { request } = options;
  const now = options.now ?? new Date();
  if (request.grant_type === "authorization_code") {
    const code = await db.oAuthAuthorizationCode.findUnique({ where: { hash: sha256Hex(request.code) } });
    if (!code || code.clientId !== request.client_id) throw new OAuthError("invalid_grant", "Unknown authorization code.");
    const family = { familyId: code.id, clientId: code.clientId, grantId: code.grantId };
    const claimed = await db.oAuthAuthorizationCode.updateMany({ where: { id: code.id, usedAt: null }, data: { usedAt: now } });
    if (claimed.count === 0) {
      // RFC 6749 §4.1.2: a code used twice revokes what was issued for it.
      await revokeFamily(db, family, now);
      throw new OAuthError("invalid_grant", "This authorization code was already used; the tokens issued for it are revoked.");
    }
    if (code.expiresAt <= now) throw new OAuthError("invalid_grant", "This authorization code has expired; authorize again.");
    if (code.redirectUri !== request.redirect_uri)
      throw new OAuthError("invalid_grant", "redirect_uri does not match the authorization request.");
    if (!verifyPkce(request.code_verifier, code.codeChallenge)) {
      throw new OAuthError("invalid_grant", "code_verifier does not match the code_challenge (PKCE S256).");
    }
    if (request.resource !== undefined && request.resource !== code.resource) {
      throw new OAuthError("invalid_target", "resource is not the one this code was issued for.");
    }
    return issueTokens(db, { ...family, userId: code.userId, resource: code.resource, scope: code.scope, now });
  }

  const token = await db.oAuthRefreshToken.findUnique({ where: { hash: sha256Hex(request.refresh_token) } });
  if (!token || token.clientId !== request.client_id) throw new OAuthError("invalid_grant", "Unknown refresh token.");
  if (token.revokedAt) throw new OAuthError("invalid_grant", "This refresh token was revoked; authorize again.");
  const family = { familyId: token.familyId, clientId: token.clientId, grantId: token.grantId };
  const claimed = await db.oAuthRefreshToken.updateMany({ where: { id: token.id, usedAt: null, revokedAt: null }, data: { usedAt: now } });
  if (claimed.count === 0) {
    // A rotated refresh token presented again: someone else may hold a copy.
    await revokeFamily(db, family, now);
    throw new OAuthError("invalid_grant", "This refresh token was already used; every token of this authorization is revoked.");
  }
  if (token.expiresAt <= now) throw new OAuthError("invalid_grant", "This refresh token has expired with its grant; authorize again.");
  if (request.resource !== undefined && request.resource !== token.resource) {
    throw new OAuthError("invalid_target", "resource is not the one this refresh token was issued for.");
  }
  if (request.scope?.split(" ").some((scope) => scope && scope !== token.scope)) {
    throw new OAuthError("invalid_scope", `The only scope is "${token.scope}".`);
  }
  return issueTokens(db, { ...family, userId: token.userId, resource: token.resource, scope: token.scope, now });
}
