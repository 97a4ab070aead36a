import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import type { Role } from "../db/generated/enums.ts";
import { AppError } from "../errors.ts";
import { processJwtVerifier } from "../tokens/jwt-config.ts";
import { JwtError, type JwtFailure, type JwtVerifier, looksLikeJwt, type VerifiedJwt } from "../tokens/jwt-verifier.ts";

// Automation identities: an IdP-issued JWT (client credentials of an Okta service app, an Entra app
// registration, a Keycloak client…) maps to a service-account User, keyed by the token's issuer and
// subject. Roles come from its group/role claim through the same RoleMapping table as people's, so
// everything downstream (requests, approval policy, grants, recording) treats it like a person.

export type ServiceAccountActor = Actor & { name: string | null; kind: "SERVICE" };

/** How often the stored groups, roles and last use are refreshed while a service account keeps calling. */
const REFRESH_MS = 60_000;

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** `ci-bot@127.0.0.1.service.invalid`: unique per issuer host and subject, never deliverable (RFC 2606 `.invalid`). */
export function serviceAccountEmail(issuer: string, subject: string): string {
  const host = (URL.canParse(issuer) ? new URL(issuer).hostname : "issuer").toLowerCase().replace(/[^a-z0-9.-]/g, "-");
  const local =
    subject
      .toLowerCase()
      .replace(/[^a-z0-9._+-]/g, "-")
      .slice(0, 64) || "service";
  return `${local}@${host}.service.invalid`;
}

async function rolesFor(db: Db, groups: readonly string[]): Promise<Role[]> {
  const mappings = groups.length ? await db.roleMapping.findMany({ where: { group: { in: [...groups] } }, select: { role: true } }) : [];
  // Like a person who signs in: at least a requester.
  return [...new Set<Role>(["REQUESTER", ...mappings.map((mapping) => mapping.role)])].sort();
}

/**
 * The service account a verified JWT stands for: created on first use (with an audit event),
 * its name, groups and roles refreshed from the token at most once a minute (or when its groups
 * change), and its last use stamped.
 */
export async function serviceAccountFor(db: Db, jwt: VerifiedJwt, retry = true): Promise<ServiceAccountActor> {
  const groups = [...new Set(jwt.groups)].sort();
  const existing = await db.user.findUnique({
    where: { subject: jwt.subject },
    select: { id: true, email: true, name: true, roles: true, kind: true, issuer: true, groups: true, lastSeenAt: true },
  });
  if (existing && (existing.kind !== "SERVICE" || existing.issuer !== jwt.issuer)) {
    throw new JwtError(
      "not_a_service_account",
      existing.kind === "HUMAN"
        ? "The token's subject is a person who signs in to the portal; IdP tokens are accepted for service accounts only. Use a gateway or API token."
        : "The token's subject belongs to a service account of another issuer.",
    );
  }
  const now = new Date();
  if (existing) {
    const stale = !existing.lastSeenAt || now.getTime() - existing.lastSeenAt.getTime() > REFRESH_MS;
    if (!stale && sameList(existing.groups, groups) && existing.name === jwt.name) {
      return { id: existing.id, email: existing.email, name: existing.name, roles: existing.roles, kind: "SERVICE" };
    }
    const roles = await rolesFor(db, groups);
    const updated = await db.user.update({
      where: { id: existing.id },
      data: { name: jwt.name, groups, roles, lastSeenAt: now },
      select: { id: true, email: true, name: true, roles: true },
    });
    return { ...updated, kind: "SERVICE" };
  }
  const roles = await rolesFor(db, groups);
  const created = await db
    .$transaction(async (tx) => {
      const user = await tx.user.create({
        data: {
          subject: jwt.subject,
          issuer: jwt.issuer,
          kind: "SERVICE",
          email: serviceAccountEmail(jwt.issuer, jwt.subject),
          name: jwt.name,
          groups,
          roles,
          lastSeenAt: now,
        },
        select: { id: true, email: true, name: true, roles: true },
      });
      await writeAuditEvent(tx, {
        actor: null,
        action: "service_account.created",
        targetType: "User",
        targetId: user.id,
        data: { issuer: jwt.issuer, subject: jwt.subject, name: jwt.name, groups, roles },
      });
      return user;
    })
    .catch((error: unknown) => {
      // Two first calls at once: the other one created it.
      if (retry) return null;
      throw error;
    });
  if (!created) return serviceAccountFor(db, jwt, false);
  return { ...created, kind: "SERVICE" };
}

/** Verifies an IdP-issued JWT and resolves its service account; throws JwtError with the precise reason. */
export async function authenticateServiceAccount(db: Db, verifier: JwtVerifier, token: string): Promise<ServiceAccountActor> {
  return serviceAccountFor(db, await verifier.verify(token));
}

/** A bearer token that is a JWT Tollgate refuses: 401 with `WWW-Authenticate: Bearer error="invalid_token"`. */
export class InvalidBearerTokenError extends AppError {
  constructor(
    readonly reason: JwtFailure,
    message: string,
  ) {
    super("UNAUTHENTICATED", message);
  }
}

/**
 * The REST API's JWT path: a bearer token that looks like a JWT is verified with this process's
 * verifier (TOLLGATE_JWT_*) and resolved to its service account; null when it is not a JWT at all.
 */
export async function authenticateApiJwt(
  db: Db,
  token: string,
  verifier: JwtVerifier | null = processJwtVerifier(),
): Promise<ServiceAccountActor | null> {
  if (!looksLikeJwt(token)) return null;
  if (!verifier) {
    throw new InvalidBearerTokenError(
      "wrong_issuer",
      "This Tollgate trusts no JWT issuer (set TOLLGATE_JWT_ISSUERS or OIDC_ISSUER); use a personal API token (tg_…).",
    );
  }
  try {
    return await authenticateServiceAccount(db, verifier, token);
  } catch (error) {
    // The issuer's keys being out of reach says nothing about the token: 503, retry; not 401, re-authenticate.
    if (error instanceof JwtError && error.failure === "keys_unavailable") throw new AppError("UNAVAILABLE", error.message);
    if (error instanceof JwtError) throw new InvalidBearerTokenError(error.failure, error.message);
    throw error;
  }
}
