import type { Db } from "../db/client.ts";
import { GATEWAY_TOKEN_PREFIX, hashToken } from "./secret-token.ts";

export interface GatewayTokenGrant {
  tokenId: string;
  user: { id: string; email: string };
  grant: { id: string; connectionId: string; expiresAt: Date; revokedAt: Date | null };
}

/** Looks a gateway token up by hash; null when it is not one of ours. The caller judges the grant. */
export async function resolveGatewayToken(db: Db, token: string): Promise<GatewayTokenGrant | null> {
  if (!token.startsWith(GATEWAY_TOKEN_PREFIX)) return null;
  const row = await db.gatewayToken.findUnique({
    where: { hash: hashToken(token) },
    select: {
      id: true,
      lastUsedAt: true,
      user: { select: { id: true, email: true } },
      grant: { select: { id: true, connectionId: true, expiresAt: true, revokedAt: true } },
    },
  });
  if (!row) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    void db.gatewayToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return { tokenId: row.id, user: row.user, grant: row.grant };
}
