import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { type AccessRequestView, accessRequestInclude, presentAccessRequest } from "./present.ts";

export type AccessRequestScope = "mine" | "pending" | "all";

export async function listAccessRequests(db: Db, options: { actor: Actor; scope: AccessRequestScope }): Promise<AccessRequestView[]> {
  const { actor, scope } = options;
  if (scope !== "mine" && !can(actor, "access:read:all")) {
    throw new AppError("FORBIDDEN", "Only approvers, auditors and admins can see other people's requests.");
  }
  const where = scope === "mine" ? { requesterId: actor.id } : scope === "pending" ? { status: "PENDING" as const } : {};
  const rows = await db.accessRequest.findMany({ where, include: accessRequestInclude, orderBy: { createdAt: "desc" }, take: 200 });
  return rows.map(presentAccessRequest);
}

/** The requests the actor may see: their own, or everyone's with access:read:all. */
export function visibleAccessRequests(actor: Actor) {
  return can(actor, "access:read:all") ? {} : { requesterId: actor.id };
}

/** The one 404 for a request that does not exist and for one the actor may not see: the two look the same. */
export function accessRequestNotFound(requestId: string): AppError {
  return new AppError("NOT_FOUND", `No access request ${requestId}.`);
}

export async function getAccessRequest(db: Db, options: { actor: Actor; requestId: string }): Promise<AccessRequestView> {
  const { actor, requestId } = options;
  const row = await db.accessRequest.findFirst({
    where: { id: requestId, ...visibleAccessRequests(actor) },
    include: accessRequestInclude,
  });
  if (!row) throw accessRequestNotFound(requestId);
  return presentAccessRequest(row);
}
