import type { Db } from "../db/client.ts";
import type { GatewayTokenGrant } from "./resolve-gateway-token.ts";

interface Row {
  grantId: string;
  connectionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

/**
 * The grant a caller identified by a JWT (a service account) uses on a connection: its active one
 * if it has one, else its most recent one (so the gateway can say it expired or was revoked), else
 * null (it never had access). One joined query; the caller judges the grant like a token's.
 */
export async function resolveJwtGrant(
  db: Db,
  options: { user: { id: string; email: string }; connectionSlug: string },
): Promise<GatewayTokenGrant | null> {
  const rows = await db.$queryRaw<Row[]>`
    SELECT g."id" AS "grantId", g."connectionId", g."expiresAt", g."revokedAt"
    FROM "Grant" g
    JOIN "Connection" c ON c."id" = g."connectionId"
    WHERE g."userId" = ${options.user.id} AND c."slug" = ${options.connectionSlug}
    ORDER BY (g."revokedAt" IS NULL AND g."expiresAt" > now() AND g."startsAt" <= now()) DESC, g."expiresAt" DESC
    LIMIT 1`;
  const row = rows[0];
  if (!row) return null;
  return {
    tokenId: null,
    tokenRevokedAt: null,
    user: { id: options.user.id, email: options.user.email },
    grant: { id: row.grantId, connectionId: row.connectionId, expiresAt: row.expiresAt, revokedAt: row.revokedAt },
  };
}
