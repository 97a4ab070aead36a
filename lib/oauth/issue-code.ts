import { randomBytes } from "node:crypto";
import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db, Tx } from "../db/client.ts";
import { sha256Hex } from "../hash.ts";
import { OAUTH_LIFETIMES } from "./settings.ts";

export interface AuthorizationRow {
  id: string;
  clientId: string;
  userId: string;
  connectionId: string;
  redirectUri: string;
  state: string | null;
  codeChallenge: string;
  scope: string;
  resource: string;
}

/**
 * The authorization response (RFC 6749 §4.1.2): `code` or `error`, `state` echoed, and `iss`
 * (RFC 9207) so the client can tell which authorization server answered.
 */
export function authorizationResponseUrl(redirectUri: string, params: Record<string, string | null | undefined>, issuer: string): string {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined) url.searchParams.set(name, value);
  url.searchParams.set("iss", issuer);
  return url.toString();
}

/** An error response to the client's redirect URI (only once the client and redirect URI were validated). */
export function errorRedirect(
  authorization: Pick<AuthorizationRow, "redirectUri" | "state">,
  error: string,
  description: string,
  issuer: string,
): string {
  return authorizationResponseUrl(
    authorization.redirectUri,
    { error, error_description: description.replace(/[^\x20-\x7e]/g, ""), state: authorization.state },
    issuer,
  );
}

/**
 * Ends an authorization with a code (single use: only a PENDING row can be completed) and
 * remembers the user's consent for this client and connection. Returns the redirect, or null when
 * the authorization was completed or denied already.
 */
export async function completeWithCode(
  db: Db,
  options: { actor: Actor; authorization: AuthorizationRow; grantId: string; issuer: string; now?: Date },
): Promise<string | null> {
  const { actor, authorization, grantId, issuer } = options;
  const now = options.now ?? new Date();
  const code = randomBytes(32).toString("base64url");
  const done = await db.$transaction(async (tx: Tx) => {
    const claimed = await tx.oAuthAuthorization.updateMany({
      where: { id: authorization.id, userId: actor.id, status: "PENDING" },
      data: { status: "COMPLETED", completedAt: now },
    });
    if (claimed.count === 0) return false;
    const row = await tx.oAuthAuthorizationCode.create({
      data: {
        hash: sha256Hex(code),
        clientId: authorization.clientId,
        userId: actor.id,
        grantId,
        redirectUri: authorization.redirectUri,
        codeChallenge: authorization.codeChallenge,
        scope: authorization.scope,
        resource: authorization.resource,
        expiresAt: new Date(now.getTime() + OAUTH_LIFETIMES.codeSeconds * 1000),
      },
    });
    await tx.oAuthConsent.upsert({
      where: {
        userId_clientId_connectionId: { userId: actor.id, clientId: authorization.clientId, connectionId: authorization.connectionId },
      },
      create: { userId: actor.id, clientId: authorization.clientId, connectionId: authorization.connectionId },
      update: {},
    });
    await writeAuditEvent(tx, {
      actor,
      action: "oauth.authorized",
      targetType: "Grant",
      targetId: grantId,
      data: { clientId: authorization.clientId, resource: authorization.resource, codeId: row.id },
    });
    return true;
  });
  return done ? authorizationResponseUrl(authorization.redirectUri, { code, state: authorization.state }, issuer) : null;
}

/** Ends an authorization with error=access_denied (single use, like a code). */
export async function completeWithDenial(
  db: Db,
  options: { actor: Actor; authorization: AuthorizationRow; description: string; issuer: string; now?: Date },
): Promise<string | null> {
  const claimed = await db.oAuthAuthorization.updateMany({
    where: { id: options.authorization.id, userId: options.actor.id, status: "PENDING" },
    data: { status: "DENIED", completedAt: options.now ?? new Date() },
  });
  return claimed.count === 0 ? null : errorRedirect(options.authorization, "access_denied", options.description, options.issuer);
}

/** The user's active grant for a connection with the latest expiry, if any. */
export async function activeGrantFor(db: Db | Tx, userId: string, connectionId: string, now = new Date()) {
  return db.grant.findFirst({
    where: { userId, connectionId, revokedAt: null, expiresAt: { gt: now } },
    orderBy: { expiresAt: "desc" },
  });
}
