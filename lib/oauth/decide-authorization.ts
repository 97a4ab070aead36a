import { cancelAccessRequest } from "../access/cancel-access-request.ts";
import { createAccessRequest } from "../access/create-access-request.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { parseInput } from "../validate.ts";
import { activeGrantFor, completeWithCode, completeWithDenial } from "./issue-code.ts";
import { consentDecisionSchema } from "./schema.ts";
import type { OAuthSettings } from "./settings.ts";

// POST /oauth/authorize/decide: the consent page's form. Approve (the user holds an active grant),
// deny, or file the access request and wait for an approver. The form's token is the
// authorization's id, valid only for the user it was shown to and only while pending.

export type DecisionOutcome = { kind: "redirect"; url: string } | { kind: "waiting"; authorizationId: string };

/** The pending authorization behind a consent form, which must be the actor's own. */
export async function pendingAuthorization(db: Db, actor: Actor, authorizationId: string, now = new Date()) {
  const row = await db.oAuthAuthorization.findFirst({ where: { id: authorizationId, userId: actor.id } });
  if (!row) throw new AppError("NOT_FOUND", "This authorization request is unknown or not yours. Start again from your MCP client.");
  if (row.status !== "PENDING")
    throw new AppError("GONE", "This authorization request was already answered. Start again from your MCP client.");
  if (row.expiresAt <= now) throw new AppError("GONE", "This authorization request expired. Start again from your MCP client.");
  return row;
}

export async function decideAuthorization(
  db: Db,
  options: { actor: Actor; input: unknown; settings: OAuthSettings; now?: Date },
): Promise<DecisionOutcome> {
  const { actor, settings } = options;
  const now = options.now ?? new Date();
  const decision = parseInput(consentDecisionSchema, options.input);
  const authorization = await pendingAuthorization(db, actor, decision.authorization, now);
  const answered = () => new AppError("GONE", "This authorization request was already answered. Start again from your MCP client.");

  if (decision.action === "deny") {
    // Denied from the waiting page: the access request filed here is withdrawn too.
    if (authorization.accessRequestId) {
      const request = await db.accessRequest.findUnique({ where: { id: authorization.accessRequestId }, select: { status: true } });
      if (request?.status === "PENDING") await cancelAccessRequest(db, { actor, requestId: authorization.accessRequestId });
    }
    const url = await completeWithDenial(db, {
      actor,
      authorization,
      description: "The user denied the request.",
      issuer: settings.issuer,
      now,
    });
    if (!url) throw answered();
    return { kind: "redirect", url };
  }
  if (decision.action === "approve") {
    const grant = await activeGrantFor(db, actor.id, authorization.connectionId, now);
    if (!grant) throw new AppError("CONFLICT", "You have no active grant for this connection any more; request access on this page.");
    const url = await completeWithCode(db, { actor, authorization, grantId: grant.id, issuer: settings.issuer, now });
    if (!url) throw answered();
    return { kind: "redirect", url };
  }
  if (authorization.accessRequestId) throw new AppError("CONFLICT", "An access request was already filed from this page.");
  const connection = await db.connection.findUniqueOrThrow({ where: { id: authorization.connectionId }, select: { slug: true } });
  const request = await createAccessRequest(db, {
    actor,
    connectionSlug: connection.slug,
    minutes: decision.minutes,
    reason: decision.reason,
  });
  const linked = await db.oAuthAuthorization.updateMany({
    where: { id: authorization.id, status: "PENDING", accessRequestId: null },
    data: { accessRequestId: request.id },
  });
  if (linked.count === 0) throw answered();
  return { kind: "waiting", authorizationId: authorization.id };
}
