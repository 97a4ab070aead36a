import { z } from "zod";

/** Largest Postgres bigint: AuditEvent.id. */
const MAX_BIGINT = 9_223_372_036_854_775_807n;
export const AUDIT_PAGE_DEFAULT = 100;
export const AUDIT_PAGE_MAX = 500;

/** "" (an empty form field) means "no filter". */
const emptyAsAbsent = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const filter = (max: number) => z.preprocess(emptyAsAbsent, z.string().trim().max(max, `must be at most ${max} characters`).optional());

export function isAuditCursor(value: string): boolean {
  return /^\d{1,19}$/.test(value) && BigInt(value) > 0n && BigInt(value) <= MAX_BIGINT;
}

/** Query of GET /api/v1/audit-events. */
export const listAuditEventsQuerySchema = z.object({
  action: filter(200).describe("An action, or its prefix: `grant.` matches `grant.created` and `grant.revoked`."),
  targetType: filter(100).describe("Exactly this target type, e.g. `Grant`."),
  targetId: filter(200).describe("Exactly this target id."),
  actor: filter(320).describe("The actor's email, exactly."),
  before: z
    .preprocess(
      emptyAsAbsent,
      z
        .string()
        .refine(isAuditCursor, "must be an audit event id (a positive integer), e.g. the nextCursor of the previous page")
        .optional(),
    )
    .meta({
      pattern: "^[0-9]{1,19}$",
      description: "Only events older than this id (the previous page's `nextCursor`).",
    }),
  limit: z
    .preprocess(
      emptyAsAbsent,
      z
        .string()
        .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${AUDIT_PAGE_MAX}`)
        .transform(Number)
        .refine((n) => n >= 1 && n <= AUDIT_PAGE_MAX, `must be a whole number from 1 to ${AUDIT_PAGE_MAX}`)
        .optional(),
    )
    .meta({ description: `Page size, from 1 to ${AUDIT_PAGE_MAX}; default ${AUDIT_PAGE_DEFAULT}.`, example: String(AUDIT_PAGE_DEFAULT) }),
});
export type ListAuditEventsQuery = z.infer<typeof listAuditEventsQuerySchema>;
