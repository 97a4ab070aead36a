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

export async function getAccessRequest(db: Db, options: { actor: Actor; requestId: string }): Promise<AccessRequestView> {
  const { actor } = options;
  const where = can(actor, "access:read:all") ? { id: options.requestId } : { id: options.requestId, requesterId: actor.id };
  const row = await db.accessRequest.findFirst({ where, include: accessRequestInclude });
  if (!row) {
    const exists = await db.accessRequest.findUnique({ where: { id: options.requestId }, select: { id: true } });
    if (exists) throw new AppError("FORBIDDEN", "This access request belongs to someone else.");
    throw new AppError("NOT_FOUND", `No access request ${options.requestId}.`);
  }
  return presentAccessRequest(row);
}
