import { z } from "zod";
import { MAX_REASON_LENGTH } from "../access/schema.ts";

export const revokeGrantSchema = z.object({
  reason: z
    .string({ error: "must be text" })
    .trim()
    .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH.toLocaleString("en-US")} characters`)
    .optional(),
});
export type RevokeGrantInput = z.infer<typeof revokeGrantSchema>;

/** What `?active=` accepts: a bare flag (`?active`), `1`/`true` for active grants only, `0`/`false` for all. */
export const GRANT_ACTIVE_VALUES = ["", "1", "true", "0", "false"] as const;

/** Query of GET /api/v1/grants. */
export const listGrantsQuerySchema = z.object({
  scope: z
    .enum(["mine", "all"], { error: 'must be "mine" or "all"' })
    .default("mine")
    .describe("`mine` (default): your own; `all`: everyone's (approvers, auditors, admins)."),
  active: z
    .enum(GRANT_ACTIVE_VALUES, { error: 'must be "1" or "true" (only active grants), or "0" or "false"' })
    .optional()
    .transform((value) => value === "" || value === "1" || value === "true")
    .describe("`1`, `true` or a bare `?active`: only grants that are active now (not expired, not revoked); `0` or `false`: all."),
});
export type ListGrantsQuery = z.output<typeof listGrantsQuerySchema>;
