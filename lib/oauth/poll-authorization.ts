import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { completeWithCode, completeWithDenial } from "./issue-code.ts";
import { hasNul } from "./schema.ts";
import type { OAuthSettings } from "./settings.ts";

// The waiting consent page asks this whenever the access request may have changed (live events,
// and a slow poll as fallback): still pending, or where to send the browser now — a code once an
// approver approved, error=access_denied once the request was denied, cancelled or expired.

export type AuthorizationProgress =
  | { status: "pending"; request: { id: string; status: string; minutes: number; reason: string; createdAt: string } | null }
  | { status: "done"; redirect: string; outcome: "approved" | "denied" };

export async function pollAuthorization(
  db: Db,
  options: { actor: Actor; authorizationId: string; settings: OAuthSettings; now?: Date },
): Promise<AuthorizationProgress> {
  const { actor, settings } = options;
  const now = options.now ?? new Date();
  const authorization = hasNul(options.authorizationId)
    ? null
    : await db.oAuthAuthorization.findFirst({ where: { id: options.authorizationId, userId: actor.id } });
  if (!authorization) throw new AppError("NOT_FOUND", "This authorization request is unknown or not yours.");
  if (authorization.status !== "PENDING") throw new AppError("GONE", "This authorization request was already answered.");
  const deny = async (description: string): Promise<AuthorizationProgress> => {
    const url = await completeWithDenial(db, { actor, authorization, description, issuer: settings.issuer, now });
    if (!url) throw new AppError("GONE", "This authorization request was already answered.");
    return { status: "done", redirect: url, outcome: "denied" };
  };
  if (authorization.expiresAt <= now) return deny("The authorization request expired before access was approved.");
  if (!authorization.accessRequestId) return { status: "pending", request: null };
  const request = await db.accessRequest.findUnique({ where: { id: authorization.accessRequestId }, include: { grant: true } });
  if (!request) return deny("The access request no longer exists.");
  if (request.status === "PENDING") {
    return {
      status: "pending",
      request: {
        id: request.id,
        status: request.status,
        minutes: request.minutes,
        reason: request.reason,
        createdAt: request.createdAt.toISOString(),
      },
    };
  }
  const grant = request.grant;
  if (request.status === "APPROVED" && grant && !grant.revokedAt && grant.expiresAt > now) {
    const url = await completeWithCode(db, { actor, authorization, grantId: grant.id, issuer: settings.issuer, now });
    if (!url) throw new AppError("GONE", "This authorization request was already answered.");
    return { status: "done", redirect: url, outcome: "approved" };
  }
  return deny(
    `The access request was ${request.status === "APPROVED" ? "approved, but its grant has ended" : request.status.toLowerCase()}.`,
  );
}
