import type { Db } from "../db/client.ts";
import { GATEWAY_TOKEN_PREFIX, hashToken } from "./secret-token.ts";

/** Who is calling the gateway, and with which grant. */
export interface GatewayTokenGrant {
  /** The gateway token presented; null for a caller identified by an IdP-issued JWT (lib/tokens/resolve-jwt-grant.ts). */
  tokenId: string | null;
  tokenRevokedAt: Date | null;
  /** OAuth access tokens: when the token ends (before its grant does) and the client it was issued to; absent otherwise. */
  tokenExpiresAt?: Date | null;
  oauthClientId?: string | null;
  user: { id: string; email: string };
  grant: { id: string; connectionId: string; expiresAt: Date; revokedAt: Date | null };
}

interface Row {
  tokenId: string;
  tokenRevokedAt: Date | null;
  tokenExpiresAt: Date | null;
  oauthClientId: string | null;
  lastUsedAt: Date | null;
  userId: string;
  email: string;
  grantId: string;
  connectionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

/**
 * Looks a gateway token up by hash; null when it is not one of ours. The caller judges the grant.
 * This runs on every gateway request, so it is one joined query rather than one per relation.
 */
export async function resolveGatewayToken(db: Db, token: string): Promise<GatewayTokenGrant | null> {
  if (!token.startsWith(GATEWAY_TOKEN_PREFIX)) return null;
  const rows = await db.$queryRaw<Row[]>`
    SELECT t."id" AS "tokenId", t."revokedAt" AS "tokenRevokedAt", t."expiresAt" AS "tokenExpiresAt", t."oauthClientId", t."lastUsedAt", u."id" AS "userId", u."email",
           g."id" AS "grantId", g."connectionId", g."expiresAt", g."revokedAt"
    FROM "GatewayToken" t
    JOIN "User" u ON u."id" = t."userId"
    JOIN "Grant" g ON g."id" = t."grantId"
    WHERE t."hash" = ${hashToken(token)}`;
  const row = rows[0];
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    void db.gatewayToken.update({ where: { id: row.tokenId }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return {
    tokenId: row.tokenId,
    tokenRevokedAt: row.tokenRevokedAt,
    tokenExpiresAt: row.tokenExpiresAt,
    oauthClientId: row.oauthClientId,
    user: { id: row.userId, email: row.email },
    grant: { id: row.grantId, connectionId: row.connectionId, expiresAt: row.expiresAt, revokedAt: row.revokedAt },
  };
}
