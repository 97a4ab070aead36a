import { z } from "zod";
import { HeldCallStatus } from "../db/generated/enums.ts";
import { userRefSchema } from "../users/views.ts";
import { timestamp } from "../validate.ts";

// What the API returns about held calls (presentHeldCall in ./present.ts is typed by it).

export const heldCallViewSchema = z
  .object({
    id: z.string(),
    status: z.enum(HeldCallStatus),
    caller: userRefSchema.describe("Whose call it is (the grant holder)."),
    connection: z.object({ slug: z.string(), name: z.string() }),
    sessionId: z.string(),
    rpcId: z.string().describe("The JSON-RPC id of the held request, as text."),
    method: z.string().meta({ example: "tools/call" }),
    tool: z.string().nullable().describe("The tool, prompt or resource the call names; null for other methods."),
    arguments: z
      .unknown()
      .describe(
        "The request's params, masked by the connection's masking rules (as recordings are). Null when they could not be masked: they are withheld, never shown unmasked. Once decided, the raw params are no longer kept: these are the recorded request's (masked) params, or null if the recording has none.",
      ),
    argumentsHash: z.string().describe("SHA-256 of the canonical JSON of the params (without `_meta`): the approval is bound to it."),
    rule: z.object({
      id: z.string(),
      description: z.string().nullable(),
      scope: z.enum(["global", "connection"]).describe("Which policy the rule belongs to."),
    }),
    scope: z.enum(["call", "session"]).nullable().describe("What an approval covers; null unless approved."),
    createdAt: timestamp(),
    deadline: timestamp().describe("Held until then at most; after it the call is EXPIRED and the client gets a timeout error."),
    decidedAt: timestamp().nullable().describe("When it was decided, expired, cancelled or abandoned."),
    decidedBy: userRefSchema.nullable().describe("The approver who approved or denied it."),
    comment: z.string().nullable().describe("The approver's comment."),
    endReason: z.string().nullable().describe("Why it ended without a decision (client cancelled, grant revoked, gateway restarted, …)."),
  })
  .meta({ id: "HeldCall", description: "A client request held at the gateway until an approver decides." });
export type HeldCallView = z.output<typeof heldCallViewSchema>;
