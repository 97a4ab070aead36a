import { z } from "zod";
import { AccessRequestStatus, Decision } from "../db/generated/enums.ts";
import { grantViewSchema } from "../grants/views.ts";
import { userRefSchema } from "../users/views.ts";
import { timestamp } from "../validate.ts";

// What the API returns about access requests (presentAccessRequest in ./present.ts is typed by it).

export const approvalViewSchema = z
  .object({
    approver: userRefSchema,
    decision: z.enum(Decision),
    comment: z.string().nullable(),
    createdAt: timestamp(),
  })
  .meta({ id: "Approval" });
export type ApprovalView = z.output<typeof approvalViewSchema>;

export const accessRequestViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(AccessRequestStatus),
    minutes: z.number().int(),
    reason: z.string(),
    createdAt: timestamp(),
    decidedAt: timestamp().nullable(),
    requester: userRefSchema,
    connection: z.object({ slug: z.string(), name: z.string(), maxMinutes: z.number().int() }),
    approvals: z.array(approvalViewSchema).describe("Decisions so far, oldest first."),
    grant: grantViewSchema.nullable().describe("The grant an approval created; null while pending or when denied."),
  })
  .meta({ id: "AccessRequest" });
export type AccessRequestView = z.output<typeof accessRequestViewSchema>;
