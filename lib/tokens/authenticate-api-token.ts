import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { API_TOKEN_PREFIX, hashToken } from "./secret-token.ts";

/** Resolves a personal API token to its owner, or throws UNAUTHENTICATED with the reason. */
export async function authenticateApiToken(db: Db, token: string): Promise<Actor> {
  if (!token.startsWith(API_TOKEN_PREFIX)) {
    throw new AppError("UNAUTHENTICATED", "Bearer token is not a Tollgate API token (expected tg_…).");
  }
  const row = await db.apiToken.findUnique({ where: { hash: hashToken(token) }, include: { user: true } });
  if (!row) throw new AppError("UNAUTHENTICATED", "API token is not valid.");
  if (row.revokedAt) throw new AppError("UNAUTHENTICATED", "API token was revoked.");
  if (row.expiresAt && row.expiresAt <= new Date()) throw new AppError("UNAUTHENTICATED", "API token has expired.");
  // Coarse last-used stamp; failure to write it must not block the request.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    void db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => undefined);
  }
  return { id: row.user.id, email: row.user.email, roles: row.user.roles };
}
