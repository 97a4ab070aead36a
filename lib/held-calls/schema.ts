import { z } from "zod";
import { MAX_REASON_LENGTH } from "../access/schema.ts";
import { HeldCallStatus } from "../db/generated/enums.ts";

const tooLong = `must be at most ${MAX_REASON_LENGTH.toLocaleString("en-US")} characters`;

/** Body of POST /api/v1/held-calls/{id}/approve and …/deny. */
export const decideHeldCallSchema = z
  .object({
    comment: z.string({ error: "must be text" }).trim().max(MAX_REASON_LENGTH, tooLong).optional(),
    scope: z
      .enum(["call", "session"], { error: 'must be "call" or "session"' })
      .optional()
      .describe(
        "Approvals only. `call` (default): this call. `session`: also identical calls (same tool and arguments hash) for the rest of the session, without a new hold.",
      ),
  })
  .meta({ id: "DecideHeldCall" });
export type DecideHeldCallInput = z.input<typeof decideHeldCallSchema>;

/** Query of GET /api/v1/held-calls. */
export const listHeldCallsQuerySchema = z.object({
  status: z
    .enum(HeldCallStatus, { error: `must be one of ${Object.values(HeldCallStatus).join(", ")}` })
    .optional()
    .describe("Only held calls in this status (e.g. `PENDING`: waiting for a decision). Default: every status."),
  scope: z
    .enum(["mine", "all"], { error: 'must be "mine" or "all"' })
    .default("all")
    .describe(
      "`all` (default): every held call you may see (requesters: their own; approvers, auditors, admins: everyone's); `mine`: your own calls.",
    ),
});
export type ListHeldCallsQuery = z.output<typeof listHeldCallsQuerySchema>;
