import type { Db } from "../db/client.ts";

// Housekeeping (run by the gateway with its other sweeps): authorizations, codes and refresh
// tokens that can never be used again are deleted a day after they stopped being usable, so the
// OAuth tables do not grow without bound. Registered clients and consents stay.

const KEEP_MS = 24 * 60 * 60_000;

export async function purgeExpiredOAuth(db: Db, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - KEEP_MS);
  const [authorizations, codes, refresh] = await Promise.all([
    db.oAuthAuthorization.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.oAuthAuthorizationCode.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.oAuthRefreshToken.deleteMany({
      where: { OR: [{ expiresAt: { lt: before } }, { usedAt: { lt: before } }, { revokedAt: { lt: before } }] },
    }),
  ]);
  return authorizations.count + codes.count + refresh.count;
}
