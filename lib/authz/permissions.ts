import type { Role } from "../db/generated/enums.ts";
import { AppError } from "../errors.ts";

// Authorization is data: which role may do what. Ownership ("own" vs "all") is enforced in the
// Prisma `where` of each action, so a request for someone else's row simply matches nothing.

export const PERMISSIONS = [
  "connections:read",
  "connections:write",
  "access:request",
  "access:read:all",
  "access:decide",
  "grants:read:all",
  "grants:revoke",
  "sessions:read:all",
  "audit:read",
  "policies:write",
  "service-accounts:read",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  REQUESTER: ["connections:read", "access:request"],
  APPROVER: [
    "connections:read",
    "access:request",
    "access:read:all",
    "access:decide",
    "grants:read:all",
    "grants:revoke",
    "sessions:read:all",
  ],
  AUDITOR: ["connections:read", "access:read:all", "grants:read:all", "sessions:read:all", "audit:read", "service-accounts:read"],
  ADMIN: [...PERMISSIONS],
};

/** Who is acting: every domain action takes one explicitly. */
export interface Actor {
  id: string;
  email: string;
  roles: readonly Role[];
}

export function can(actor: Actor, permission: Permission): boolean {
  return actor.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

export function assertCan(actor: Actor, permission: Permission, what: string): void {
  if (!can(actor, permission)) {
    throw new AppError("FORBIDDEN", `Your roles (${actor.roles.join(", ") || "none"}) do not allow you to ${what}.`);
  }
}
