import { z } from "zod";
import { timestamp } from "../validate.ts";

// What retention keeps of a purged session's events: a summary signed with an HMAC (see
// ./verify-purged.ts). Import-safe in the browser (no crypto, no database).

const counts = z.record(z.string(), z.number().int());

export const sessionSummarySchema = z
  .object({
    v: z.literal(1).describe("Summary format."),
    sessionId: z.string(),
    events: z.number().int().describe("How many events were deleted."),
    firstSeq: z.number().int().nullable(),
    lastSeq: z.number().int().nullable(),
    lastHash: z.string().describe("The chain head: the hash of the newest event deleted (the genesis hash when there were none)."),
    firstAt: timestamp().nullable(),
    lastAt: timestamp().nullable(),
    tools: counts.describe("Tools called (resources read, prompts got), with how many client requests named each."),
    decisions: counts.describe("Policy decisions and held-call outcomes, with counts."),
    masked: counts.describe("Values masked before storing, by kind, summed over the session."),
    verified: z
      .object({
        ok: z.boolean(),
        firstBad: z.object({ seq: z.number().int(), problem: z.string() }).optional(),
      })
      .describe("The recording's hash chain, checked right before its events were deleted."),
    retentionDays: z.number().int(),
    purgedAt: timestamp(),
  })
  .meta({ id: "SessionSummary", description: "What a purged session's recording was, signed when retention deleted its events." });
export type SessionSummary = z.output<typeof sessionSummarySchema>;

export const purgedCheckSchema = z
  .object({
    at: timestamp().describe("When retention deleted the events."),
    signatureValid: z.boolean().describe("Whether the summary's HMAC signature checks out (false also when no key is configured)."),
    headMatches: z.boolean().describe("Whether the summary's chain head is the one stored when the session ended."),
    summary: sessionSummarySchema.nullable(),
    reason: z.string().optional().describe("What is wrong, when something is."),
  })
  .meta({ id: "PurgedSessionCheck", description: "A purged session: its events are gone, its signed summary is checked instead." });
export type PurgedCheck = z.output<typeof purgedCheckSchema>;
