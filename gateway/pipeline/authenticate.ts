import type { IncomingHttpHeaders } from "node:http";
import type { Db } from "../../lib/db/client.ts";
import { JwtError, type JwtVerifier, looksLikeJwt } from "../../lib/tokens/jwt-verifier.ts";
import { type GatewayTokenGrant, resolveGatewayToken } from "../../lib/tokens/resolve-gateway-token.ts";
import { resolveJwtGrant } from "../../lib/tokens/resolve-jwt-grant.ts";
import { serviceAccountFor } from "../../lib/users/service-accounts.ts";
import { GatewayError } from "../errors.ts";
import type { GrantCache } from "./grant-cache.ts";

/** What the JWT path needs: the verifier (null: no issuer trusted) and the connection in the URL. */
export interface JwtContext {
  verifier: JwtVerifier | null;
  connectionSlug: string;
}

/**
 * A service account's IdP-issued JWT: verified (signature by JWKS, iss, aud, exp/nbf, algorithm),
 * mapped to its service account, and its grant for this connection looked up. Every refusal is a
 * 401 naming exactly what is wrong (`error.data.tokenError`).
 */
async function authenticateJwt(db: Db, token: string, jwt: JwtContext | undefined): Promise<GatewayTokenGrant> {
  if (!jwt) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      "This endpoint does not accept JWTs; use a gateway token (tgg_…) or /mcp/<connection-slug>.",
      {
        tokenError: "unsupported_token",
      },
    );
  }
  if (!jwt.verifier) {
    throw new GatewayError("UNAUTHENTICATED", "This gateway trusts no JWT issuer (TOLLGATE_JWT_ISSUERS); use a gateway token (tgg_…).", {
      tokenError: "wrong_issuer",
    });
  }
  let user: { id: string; email: string; name: string | null };
  let expiresAt: Date;
  try {
    const verified = await jwt.verifier.verify(token);
    expiresAt = verified.expiresAt;
    user = await serviceAccountFor(db, verified);
  } catch (error) {
    // The token may be fine: its issuer's keys cannot be fetched right now (503, not 401, so the client retries rather than re-authenticates).
    if (error instanceof JwtError && error.failure === "keys_unavailable") {
      throw new GatewayError("IDP_UNAVAILABLE", `${error.message} The gateway cannot check service-account tokens meanwhile.`, {
        tokenError: error.failure,
      });
    }
    if (error instanceof JwtError) throw new GatewayError("UNAUTHENTICATED", error.message, { tokenError: error.failure });
    throw error;
  }
  const resolved = await resolveJwtGrant(db, { user, connectionSlug: jwt.connectionSlug });
  if (!resolved) {
    throw new GatewayError(
      "WRONG_CONNECTION",
      `Service account ${user.name ?? user.email} has no grant for "${jwt.connectionSlug}". Request access with this token (POST /api/v1/access-requests) and have it approved.`,
    );
  }
  // A WebSocket or legacy SSE session authenticated with this JWT ends when it expires (`exp`).
  return { ...resolved, tokenExpiresAt: expiresAt };
}

/**
 * An OAuth access token (issued by the portal to an MCP client) ends at its own expiry, and with
 * its grant: both are 401 invalid_token, so the client refreshes or runs the authorization (and
 * with it a new access request) again. A gateway token minted by hand keeps its 403s.
 */
function checkOAuthToken(resolved: GatewayTokenGrant, now = new Date()): void {
  if (resolved.tokenExpiresAt && resolved.tokenExpiresAt <= now) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      `OAuth access token expired at ${resolved.tokenExpiresAt.toISOString()}; your MCP client refreshes it or signs in again.`,
      { tokenError: "expired" },
    );
  }
  if (resolved.grant.revokedAt || resolved.grant.expiresAt <= now) {
    const ended = resolved.grant.revokedAt
      ? `was revoked at ${resolved.grant.revokedAt.toISOString()}`
      : `expired at ${resolved.grant.expiresAt.toISOString()}`;
    throw new GatewayError(
      "UNAUTHENTICATED",
      `The access grant behind this OAuth token ${ended}, so the token is no longer valid; sign in again from your MCP client to request access.`,
      { tokenError: "grant_ended" },
    );
  }
}

/** Step 1: who is calling. Only the Authorization header counts; it never travels upstream. */
export async function authenticate(
  db: Db,
  headers: IncomingHttpHeaders,
  grants?: GrantCache,
  jwt?: JwtContext,
): Promise<GatewayTokenGrant> {
  const authorization = headers.authorization;
  if (!authorization) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      'Missing bearer token: send "Authorization: Bearer tgg_…" with a gateway token minted in the Tollgate portal.',
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new GatewayError("UNAUTHENTICATED", 'Authorization header must be "Bearer <gateway token>".');
  // tgg_… is a gateway token; three base64url parts are an IdP-issued JWT (service accounts).
  if (looksLikeJwt(match[1]!)) return authenticateJwt(db, match[1]!, jwt);
  // Gateway tokens: from memory while the grant watcher listens (see grant-cache.ts), else one query.
  const resolved = grants ? await grants.resolve(match[1]!) : await resolveGatewayToken(db, match[1]!);
  if (!resolved) {
    throw new GatewayError("UNAUTHENTICATED", "Gateway token is not valid. Mint a new one for your grant in the Tollgate portal.");
  }
  if (resolved.oauthClientId) checkOAuthToken(resolved);
  if (resolved.tokenRevokedAt) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      `Gateway token was revoked at ${resolved.tokenRevokedAt.toISOString()}. Mint a new one for your grant in the Tollgate portal.`,
    );
  }
  return resolved;
}
