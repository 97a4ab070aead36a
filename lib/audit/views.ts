import { z } from "zod";
import { timestamp } from "../validate.ts";

// What the API returns from the audit log (presentAuditEvent and verifyAuditChain are typed by it).

export const auditEventViewSchema = z
  .object({
    id: z.string().describe("Position in the audit chain (a 64-bit integer, as a decimal string)."),
    at: timestamp(),
    actorEmail: z.string().nullable().describe("Who acted; null for the system itself (seed, expiry sweeps)."),
    action: z
      .string()
      .meta({ example: "grant.revoked" })
      .describe("What happened, e.g. `grant.created`, `grant.revoked`, `connection.created`."),
    targetType: z.string().describe("The kind of object acted on, e.g. `Grant`, `AccessRequest`, `Connection`."),
    targetId: z.string(),
    data: z.unknown().describe("Details of the change (never a secret or token)."),
    hash: z.string().describe("SHA-256 over the predecessor's hash and this event's content."),
    prevHash: z.string().describe("The predecessor's hash (a fixed genesis value for the first event)."),
  })
  .meta({ id: "AuditEvent" });
export type AuditEventView = z.output<typeof auditEventViewSchema>;

export const auditEventPageSchema = z
  .object({
    events: z.array(auditEventViewSchema).describe("Newest first."),
    nextCursor: z.string().nullable().describe("Pass as `?before=` for the next, older, page; null on the last page."),
  })
  .meta({ id: "AuditEventPage" });
export type AuditEventPage = z.output<typeof auditEventPageSchema>;

export const auditChainResultSchema = z
  .discriminatedUnion("ok", [
    z.object({
      ok: z.literal(true),
      events: z.number().int().describe("How many events were verified."),
      checkpoint: z
        .object({ eventId: z.string(), at: timestamp() })
        .nullable()
        .optional()
        .describe(
          "The newest signed checkpoint of the chain's head, found intact (null: none yet). A new one is written after each verification.",
        ),
    }),
    z.object({
      ok: z.literal(false),
      events: z.number().int().describe("How many events were read, up to and including the first broken one."),
      brokenAt: z
        .string()
        .describe("Id of the first event that does not link to its predecessor, or of the checkpointed event that is gone."),
      reason: z.string(),
    }),
  ])
  .meta({ id: "AuditChainResult" });
export type AuditChainResult = z.output<typeof auditChainResultSchema>;
