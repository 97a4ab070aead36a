import { z } from "zod";
import { policyDocumentSchema } from "../policy/schema.ts";

// The policy API's bodies. The rule format itself is lib/policy/schema.ts (shared with the engine).

/** PUT body: a whole policy document; `baseVersion` makes the save fail (409) if someone saved in between. */
export const savePolicySchema = policyDocumentSchema
  .and(
    z.object({
      baseVersion: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe("The version this edit started from; a newer saved version makes the save fail with 409 instead of overwriting it."),
    }),
  )
  .meta({ id: "SavePolicy" });
export type SavePolicyInput = z.output<typeof savePolicySchema>;

const jsonRpcMessageSchema = z
  .record(z.string(), z.unknown())
  .refine((message) => message.jsonrpc === "2.0", { message: 'must be a JSON-RPC 2.0 message ("jsonrpc": "2.0")' });

export const previewPolicySchema = z.object({
  connection: z
    .string()
    .min(1)
    .max(64, "is not a connection slug (at most 64 characters)")
    .optional()
    .describe("Preview against this connection's policy (plus the global one)."),
  policy: policyDocumentSchema
    .optional()
    .describe("A draft to preview instead of the saved policy: of the connection when `connection` is given, else the global one."),
  message: jsonRpcMessageSchema.describe("A JSON-RPC message as the gateway would see it."),
  direction: z.enum(["request", "response"]).describe("request: client → upstream; response: anything upstream → client."),
  requestMethod: z
    .string()
    .optional()
    .describe("For a response: the method of the request it answers (e.g. tools/list, so list filtering applies)."),
});
export type PreviewPolicyInput = z.output<typeof previewPolicySchema>;
