import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { accessRequestNotFound, visibleAccessRequests } from "./list-access-requests.ts";
import { type AccessRequestView, accessRequestInclude, presentAccessRequest } from "./present.ts";

/**
 * A requester withdraws their own pending request. Someone else's request is "not found" unless
 * the actor may see everyone's (approvers, auditors, admins), who are told it is not theirs.
 */
export async function cancelAccessRequest(db: Db, options: { actor: Actor; requestId: string }): Promise<AccessRequestView> {
  const { actor, requestId } = options;
  await db.$transaction(async (tx) => {
    const request = await tx.accessRequest.findFirst({
      where: { id: requestId, ...visibleAccessRequests(actor) },
      select: { requesterId: true, status: true },
    });
    if (!request) throw accessRequestNotFound(requestId);
    if (request.requesterId !== actor.id) throw new AppError("FORBIDDEN", "Only the requester can cancel an access request.");
    const updated = await tx.accessRequest.updateMany({
      where: { id: requestId, requesterId: actor.id, status: "PENDING" },
      data: { status: "CANCELLED", decidedAt: new Date() },
    });
    if (updated.count === 0)
      throw new AppError("CONFLICT", `This request is already ${request.status.toLowerCase()}; only pending requests can be cancelled.`);
    await writeAuditEvent(tx, { actor, action: "access_request.cancelled", targetType: "AccessRequest", targetId: requestId });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.accessRequests}, ${requestId})`;
  });
  return presentAccessRequest(await db.accessRequest.findUniqueOrThrow({ where: { id: requestId }, include: accessRequestInclude }));
}
