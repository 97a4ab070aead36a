import type { Db } from "../db/client.ts";

// Housekeeping (run by the gateway with its other sweeps): authorizations, codes and refresh
// tokens that can never be used again are deleted a day after they stopped being usable, so the
// OAuth tables do not grow without bound. Clients go too (with their consents), since anyone may
// register one without signing in:
// - a registered client that never got anywhere — a day after registration it has no
//   authorization, code, refresh token, consent or access token — is deleted;
// - any client (registered, or a cached metadata document) with no authorization, code, refresh
//   token or access token created in the last 90 days (no sign-in, no token, no refresh) is deleted. A client that
//   comes back registers again (or its document is fetched again) and its users consent again.
// Access tokens issued to a client (GatewayToken.oauthClientId) count as use in both rules: each
// client's newest one is kept after the rows that led to them are purged (expired ones are otherwise
// deleted a day after they expired; see purgeExpiredAccessTokens).

const KEEP_MS = 24 * 60 * 60_000;

export const CLIENT_RETENTION = {
  /** A registered client never used this long after registration is deleted. */
  unusedMs: 24 * 60 * 60_000,
  /** A client without any authorization, code or refresh token this long is deleted. */
  idleMs: 90 * 24 * 60 * 60_000,
} as const;

export async function purgeExpiredOAuth(db: Db, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - KEEP_MS);
  const [authorizations, codes, refresh] = await Promise.all([
    db.oAuthAuthorization.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.oAuthAuthorizationCode.deleteMany({ where: { expiresAt: { lt: before } } }),
    db.oAuthRefreshToken.deleteMany({
      where: { OR: [{ expiresAt: { lt: before } }, { usedAt: { lt: before } }, { revokedAt: { lt: before } }] },
    }),
  ]);
  const clients = await purgeUnusedClients(db, now);
  const accessTokens = await purgeExpiredAccessTokens(db, now);
  return authorizations.count + codes.count + refresh.count + clients + accessTokens;
}

/**
 * OAuth access tokens (GatewayToken rows with `oauthClientId`; every refresh mints one) expired
 * more than a day ago are deleted, at most `batch` per sweep — except:
 * - a token a Session row names (`gatewayTokenId`, the token that opened it): deleting it would
 *   set that to null (ON DELETE SET NULL) and lose which OAuth client and resource the recorded
 *   session came through. Marking instead of deleting would keep such rows anyway, so these are
 *   simply kept: they grow with sessions, not with refreshes. Everything else a token leaves behind
 *   stays intact: its `gateway_token.created` audit event (grant, prefix, client, resource) has no
 *   foreign key, and recordings and held calls reference the session, not the token;
 * - its client's newest token while the client exists: client retention (above) counts a token
 *   issued in the last 90 days as use, and it must still see the latest one.
 * An expired token cannot authenticate (the gateway refuses it), so nothing can start using a row
 * while it is deleted.
 */
export async function purgeExpiredAccessTokens(db: Db, now = new Date(), batch = 1000): Promise<number> {
  const before = new Date(now.getTime() - KEEP_MS);
  return db.$executeRaw`
    DELETE FROM "GatewayToken" WHERE "id" IN (
      SELECT t."id" FROM "GatewayToken" t
      WHERE t."oauthClientId" IS NOT NULL AND t."expiresAt" < ${before}
        AND NOT EXISTS (SELECT 1 FROM "Session" s WHERE s."gatewayTokenId" = t."id")
        AND (
          NOT EXISTS (SELECT 1 FROM "OAuthClient" c WHERE c."id" = t."oauthClientId")
          OR EXISTS (
            SELECT 1 FROM "GatewayToken" n
            WHERE n."oauthClientId" = t."oauthClientId" AND (n."createdAt", n."id") > (t."createdAt", t."id")
          )
        )
      ORDER BY t."expiresAt"
      LIMIT ${batch}
      FOR UPDATE SKIP LOCKED
    )`;
}

/** Deletes the clients the rules above say are unused (at most `batch` per rule per sweep); returns how many. */
export async function purgeUnusedClients(db: Db, now = new Date(), batch = 1000): Promise<number> {
  const registeredBefore = new Date(now.getTime() - CLIENT_RETENTION.unusedMs);
  const idleSince = new Date(now.getTime() - CLIENT_RETENTION.idleMs);
  const recent = { createdAt: { gte: idleSince } };
  const rules = [
    {
      where: {
        kind: "registered",
        createdAt: { lt: registeredBefore },
        authorizations: { none: {} },
        codes: { none: {} },
        refreshTokens: { none: {} },
        consents: { none: {} },
      },
      tokensSince: undefined,
    },
    {
      where: {
        createdAt: { lt: idleSince },
        authorizations: { none: recent },
        codes: { none: recent },
        refreshTokens: { none: recent },
      },
      tokensSince: idleSince,
    },
  ];
  let deleted = 0;
  for (const rule of rules) {
    const candidates = (await db.oAuthClient.findMany({ where: rule.where, select: { id: true }, take: batch })).map(({ id }) => id);
    if (candidates.length === 0) continue;
    // Access tokens outlive the purged authorizations, codes and refresh tokens: one issued (ever, or
    // in the idle window) is use.
    const withTokens = await db.gatewayToken.findMany({
      where: { oauthClientId: { in: candidates }, ...(rule.tokensSince ? { createdAt: { gte: rule.tokensSince } } : {}) },
      select: { oauthClientId: true },
      distinct: ["oauthClientId"],
    });
    const keep = new Set(withTokens.map(({ oauthClientId }) => oauthClientId));
    const ids = candidates.filter((id) => !keep.has(id));
    if (ids.length === 0) continue;
    // The rule again in the delete: a client used since the candidates were read stays.
    deleted += (await db.oAuthClient.deleteMany({ where: { ...rule.where, id: { in: ids } } })).count;
  }
  return deleted;
}
