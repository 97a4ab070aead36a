import { z } from "zod";
import { Direction } from "../db/generated/enums.ts";
import { userRefSchema } from "../users/views.ts";
import { timestamp } from "../validate.ts";
import { purgedCheckSchema } from "./summary-schema.ts";

// What the API returns about recorded sessions (the presenters in ./sessions.ts are typed by it).

export const sessionViewSchema = z
  .object({
    id: z.string(),
    grantId: z.string(),
    user: userRefSchema,
    connection: z.object({ slug: z.string(), name: z.string() }),
    transport: z.string(),
    protocolVersion: z.string().nullable(),
    clientInfo: z.unknown().describe("The MCP client's clientInfo from initialize, or null."),
    startedAt: timestamp(),
    endedAt: timestamp().nullable(),
    endReason: z.string().nullable(),
    eventCount: z.number().int(),
  })
  .meta({ id: "Session", description: "One MCP session through the gateway." });
export type SessionView = z.output<typeof sessionViewSchema>;

export const sessionEventViewSchema = z
  .object({
    seq: z.number().int().describe("Position in the session, from 1; pass the last one seen as ?after= to page."),
    at: timestamp(),
    direction: z.enum(Direction),
    kind: z.string(),
    rpcId: z.string().nullable(),
    method: z.string().nullable(),
    tool: z.string().nullable(),
    payload: z.unknown().describe("The recorded JSON-RPC message, after masking, with its keys in the order they were sent."),
    decision: z
      .string()
      .nullable()
      .describe(
        "The policy decision on a client request (allow, deny, require-approval), or how a held call ended (approved, approved-for-session, denied, expired, cancelled, abandoned).",
      ),
    masked: z.record(z.string(), z.number().int()).nullable().describe('Values masked before storing, by kind, e.g. {"email": 2}.'),
    replyToSeq: z.number().int().nullable().describe("For a response: the seq of the request it answers."),
    latencyMs: z.number().nullable().describe("For a response: milliseconds between its request and it."),
    hash: z.string().describe("Hash chaining this event to its predecessor."),
  })
  .meta({ id: "SessionEvent" });
export type SessionEventView = z.output<typeof sessionEventViewSchema>;

export const sessionVerificationSchema = z
  .object({
    ok: z.boolean(),
    events: z.number().int().describe("How many events were checked (up to the first bad one)."),
    firstBad: z
      .object({
        seq: z.number().int().describe("The first event altered or missing (0 when a purged session's summary does not check out)."),
        problem: z.enum(["altered", "missing", "out-of-order", "chain-broken", "summary-invalid"]),
      })
      .optional(),
    headChecked: z
      .boolean()
      .describe(
        "Whether a stored chain head was compared: for an ended session the head stored at its end (so deleted newest events show); for an open one the latest head the gateway checkpointed (about every 30 s): events up to it must exist and end with its hash, newer ones may follow. False for an open session not checkpointed yet.",
      ),
    checkedAt: timestamp(),
    purged: purgedCheckSchema
      .optional()
      .describe("Set when retention deleted the session's events: their signed summary was checked instead (`events` is then 0)."),
  })
  .meta({ id: "SessionVerification", description: "The result of recomputing a session recording's hash chain." });
export type SessionVerification = z.output<typeof sessionVerificationSchema>;
