import type { AccessRequest, Approval, Connection, Grant, User } from "../db/generated/client.ts";
import type { GrantStatus, GrantView } from "../grants/views.ts";
import type { UserRefView } from "../users/views.ts";
import type { AccessRequestView } from "./views.ts";

// The API's shapes are the zod schemas in ./views.ts, ../grants/views.ts and ../users/views.ts
// (from which the OpenAPI document is generated); the presenters are typed by them.
export type { AccessRequestView, GrantStatus, GrantView };

type UserRef = Pick<User, "id" | "email" | "name">;

export function presentUser(user: UserRef): UserRefView {
  return { id: user.id, email: user.email, name: user.name };
}

export function grantStatus(grant: Pick<Grant, "expiresAt" | "revokedAt">, now = new Date()): GrantStatus {
  if (grant.revokedAt) return "REVOKED";
  return grant.expiresAt <= now ? "EXPIRED" : "ACTIVE";
}

export function presentGrant(grant: Grant & { connection?: Pick<Connection, "slug" | "name">; user?: UserRef }): GrantView {
  return {
    id: grant.id,
    requestId: grant.requestId,
    status: grantStatus(grant),
    startsAt: grant.startsAt.toISOString(),
    expiresAt: grant.expiresAt.toISOString(),
    revokedAt: grant.revokedAt?.toISOString() ?? null,
    connection: grant.connection ? { slug: grant.connection.slug, name: grant.connection.name } : undefined,
    user: grant.user ? presentUser(grant.user) : undefined,
  };
}

export const accessRequestInclude = {
  requester: { select: { id: true, email: true, name: true } },
  connection: { select: { slug: true, name: true, maxMinutes: true } },
  approvals: { include: { approver: { select: { id: true, email: true, name: true } } }, orderBy: { createdAt: "asc" } },
  grant: true,
} as const;

type AccessRequestRow = AccessRequest & {
  requester: UserRef;
  connection: Pick<Connection, "slug" | "name" | "maxMinutes">;
  approvals: Array<Approval & { approver: UserRef }>;
  grant: Grant | null;
};

export function presentAccessRequest(request: AccessRequestRow): AccessRequestView {
  return {
    id: request.id,
    status: request.status,
    minutes: request.minutes,
    reason: request.reason,
    createdAt: request.createdAt.toISOString(),
    decidedAt: request.decidedAt?.toISOString() ?? null,
    requester: presentUser(request.requester),
    connection: { slug: request.connection.slug, name: request.connection.name, maxMinutes: request.connection.maxMinutes },
    approvals: request.approvals.map((approval) => ({
      approver: presentUser(approval.approver),
      decision: approval.decision,
      comment: approval.comment,
      createdAt: approval.createdAt.toISOString(),
    })),
    grant: request.grant ? presentGrant(request.grant) : null,
  };
}
