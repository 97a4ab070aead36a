import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { accessRequestNotFound, visibleAccessRequests } from "./list-access-requests.ts";
import { type AccessRequestView, accessRequestInclude, presentAccessRequest } from "./present.ts";

/**
 * Approves or denies a pending request. An approval creates the grant (starting now, for the
 * requested minutes) in the same transaction as the decision and its audit event.
 */
export async function decideAccessRequest(
  db: Db,
  options: { actor: Actor; requestId: string; decision: "APPROVE" | "DENY"; comment?: string },
): Promise<AccessRequestView> {
  const { actor, requestId, decision } = options;
  assertCan(actor, "access:decide", "approve or deny access requests");

  await db.$transaction(async (tx) => {
    const request = await tx.accessRequest.findFirst({
      where: { id: requestId, ...visibleAccessRequests(actor) },
      include: { connection: true },
    });
    if (!request) throw accessRequestNotFound(requestId);
    if (request.requesterId === actor.id) throw new AppError("FORBIDDEN", "You cannot approve or deny your own access request.");
    const now = new Date();
    // The status and requester conditions sit in the WHERE: a concurrent decision, or a request
    // of the actor's own, matches no row and changes nothing.
    const updated = await tx.accessRequest.updateMany({
      where: { id: requestId, status: "PENDING", requesterId: { not: actor.id } },
      data: { status: decision === "APPROVE" ? "APPROVED" : "DENIED", decidedAt: now },
    });
    if (updated.count === 0) {
      throw new AppError("CONFLICT", `This request is already ${request.status.toLowerCase()}; only pending requests can be decided.`);
    }
    await tx.approval.create({ data: { requestId, approverId: actor.id, decision, comment: options.comment || null } });
    let grantId: string | null = null;
    if (decision === "APPROVE") {
      const grant = await tx.grant.create({
        data: {
          requestId,
          userId: request.requesterId,
          connectionId: request.connectionId,
          startsAt: now,
          expiresAt: new Date(now.getTime() + request.minutes * 60_000),
        },
      });
      grantId = grant.id;
      await writeAuditEvent(tx, {
        actor,
        action: "grant.created",
        targetType: "Grant",
        targetId: grant.id,
        data: { requestId, connection: request.connection.slug, userId: request.requesterId, expiresAt: grant.expiresAt.toISOString() },
      });
    }
    await writeAuditEvent(tx, {
      actor,
      action: decision === "APPROVE" ? "access_request.approved" : "access_request.denied",
      targetType: "AccessRequest",
      targetId: requestId,
      data: { comment: options.comment ?? null, grantId },
    });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.accessRequests}, ${requestId})`;
  });
  // Read back after commit: nested includes run parallel queries, which a transaction's single connection serializes badly.
  return presentAccessRequest(await db.accessRequest.findUniqueOrThrow({ where: { id: requestId }, include: accessRequestInclude }));
}
