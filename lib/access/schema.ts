import { z } from "zod";

/** Longest reason or comment, in characters. */
export const MAX_REASON_LENGTH = 2000;
const tooLong = `must be at most ${MAX_REASON_LENGTH.toLocaleString("en-US")} characters`;

export const createAccessRequestSchema = z.object({
  connection: z
    .string({ error: "is required (the connection slug)" })
    .min(1, "is required (the connection slug)")
    .max(64, "is not a connection slug (at most 64 characters)"),
  minutes: z.number({ error: "must be a number of minutes" }).int("must be a whole number of minutes").min(1, "must be at least 1"),
  reason: z
    .string({ error: "is required" })
    .trim()
    .min(3, "must say why you need access (at least 3 characters)")
    .max(MAX_REASON_LENGTH, tooLong),
});
export type CreateAccessRequestInput = z.input<typeof createAccessRequestSchema>;

/** Body of POST /api/v1/access-requests/{id}/approve and …/deny. */
export const decideAccessRequestSchema = z
  .object({
    comment: z.string({ error: "must be text" }).trim().max(MAX_REASON_LENGTH, tooLong).optional(),
  })
  .meta({ id: "DecideAccessRequest" });
export type DecideAccessRequestInput = z.input<typeof decideAccessRequestSchema>;

/** Query of GET /api/v1/access-requests. */
export const listAccessRequestsQuerySchema = z.object({
  scope: z
    .enum(["mine", "pending", "all"], { error: 'must be "mine", "pending" or "all"' })
    .default("mine")
    .describe("`mine` (default): your own; `pending`: everyone's pending (approvers); `all`: everyone's (approvers, auditors, admins)."),
});
export type ListAccessRequestsQuery = z.output<typeof listAccessRequestsQuerySchema>;

/**
 * The same schema with one connection's maximum duration, which the server checks against the
 * stored connection (createAccessRequest): the portal's form reports it with the other fields.
 */
export function createAccessRequestSchemaFor(connection: { maxMinutes: number; name: string }) {
  return createAccessRequestSchema.extend({
    minutes: createAccessRequestSchema.shape.minutes.max(
      connection.maxMinutes,
      `must be at most ${connection.maxMinutes} for ${connection.name}`,
    ),
  });
}
