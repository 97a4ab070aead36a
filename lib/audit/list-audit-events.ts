import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, isAuditCursor } from "./schema.ts";
import type { AuditEventPage, AuditEventView } from "./views.ts";

/** The API's shapes of the audit log: the zod schemas in ./views.ts (the OpenAPI document's). */
export type { AuditEventPage, AuditEventView };

export interface ListAuditEventsOptions {
  actor: Actor;
  /** An action, or a prefix of one: `grant.` matches `grant.created` and `grant.revoked`. */
  action?: string;
  targetType?: string;
  targetId?: string;
  /** The acting user's email, exactly. */
  actorEmail?: string;
  /** Cursor: only events with an id below this one (the `nextCursor` of the previous page). */
  before?: string;
  /** Page size: default 100, at most 500. */
  limit?: number;
}

/** Prisma's startsWith is a LIKE: `_` and `%` in a prefix must match literally (`\` is Postgres' default escape). */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

type AuditEventRow = Awaited<ReturnType<Db["auditEvent"]["findFirstOrThrow"]>>;

function presentAuditEvent(row: AuditEventRow): AuditEventView {
  return {
    id: String(row.id),
    at: row.at.toISOString(),
    actorEmail: row.actorEmail,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    data: row.data,
    hash: row.hash,
    prevHash: row.prevHash,
  };
}

/** The audit log, newest first, one page at a time (auditors and admins). */
export async function listAuditEvents(db: Db, options: ListAuditEventsOptions): Promise<AuditEventPage> {
  assertCan(options.actor, "audit:read", "read the audit log");
  const limit = options.limit ?? AUDIT_PAGE_DEFAULT;
  if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX) {
    throw new AppError("BAD_REQUEST", `limit must be a whole number from 1 to ${AUDIT_PAGE_MAX}.`, { field: "limit" });
  }
  if (options.before !== undefined && !isAuditCursor(options.before)) {
    throw new AppError("BAD_REQUEST", "before must be an audit event id (a positive integer).", { field: "before" });
  }

  const rows = await db.auditEvent.findMany({
    where: {
      ...(options.action ? { action: { startsWith: escapeLike(options.action) } } : {}),
      ...(options.targetType ? { targetType: options.targetType } : {}),
      ...(options.targetId ? { targetId: options.targetId } : {}),
      ...(options.actorEmail ? { actorEmail: options.actorEmail } : {}),
      ...(options.before ? { id: { lt: BigInt(options.before) } } : {}),
    },
    orderBy: { id: "desc" },
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    events: page.map(presentAuditEvent),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
  };
}
