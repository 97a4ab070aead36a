import { z } from "zod";
import { GUARDRAIL_ACTIONS, policyDocumentSchema, ruleSchema } from "../policy/schema.ts";
import { timestamp } from "../validate.ts";

// What the policy API returns (the presenters in ./present-policy.ts, ./preview-policy.ts and
// ./list-policy-samples.ts are typed by it; the OpenAPI document is generated from it).

export const policyViewSchema = z
  .object({
    scope: z.enum(["global", "connection"]),
    connection: z.string().nullable().describe("The connection's slug; null for the global policy."),
    version: z.number().int().describe("The version in force; 0 before the first save (everything allowed, nothing masked)."),
    default: z.enum(["allow", "deny"]).describe("What happens to a call no guardrail rule matches."),
    rules: z.array(ruleSchema),
    updatedBy: z.string().nullable().describe("Email of who saved the version in force."),
    updatedAt: timestamp().nullable(),
  })
  .meta({ id: "Policy", description: "A policy in force: guardrail and masking rules, global or for one connection." });
export type PolicyView = z.output<typeof policyViewSchema>;

export const policyVersionViewSchema = z
  .object({
    version: z.number().int(),
    summary: z.string().describe("What changed against the previous version."),
    restoredFrom: z.number().int().nullable().describe("The version this one restored, if it is a restore."),
    createdBy: z.string().nullable().describe("Email of who saved it."),
    createdAt: timestamp(),
    document: policyDocumentSchema,
  })
  .meta({ id: "PolicyVersion" });
export type PolicyVersionView = z.output<typeof policyVersionViewSchema>;

export const policyPreviewSchema = z
  .object({
    decision: z.enum(GUARDRAIL_ACTIONS),
    rule: z
      .object({
        id: z.string(),
        description: z.string().optional(),
        scope: z.enum(["global", "connection"]),
        holdMinutes: z.number().int().optional(),
      })
      .nullable()
      .describe("The guardrail rule that decided; null when the default did."),
    reason: z.string().nullable(),
    forwarded: z.unknown().describe("What the client receives (responses) or what goes upstream (requests: unchanged)."),
    masked: z.unknown().describe("What the recording stores: masked in both directions."),
    findings: z.array(
      z.object({
        kind: z.string(),
        path: z.string().describe("JSON path of the masked string, e.g. `$.result.content[0].text`."),
        start: z.number().int(),
        end: z.number().int(),
      }),
    ),
    counts: z.record(z.string(), z.number().int()).describe("Masked values by kind."),
    hidden: z.number().int().describe("List items removed from a list result."),
  })
  .meta({ id: "PolicyPreview", description: "What the gateway would do with the message." });
export type PolicyPreview = z.output<typeof policyPreviewSchema>;

export const policySampleSchema = z
  .object({
    sessionId: z.string(),
    seq: z.number().int(),
    at: timestamp(),
    direction: z.enum(["request", "response"]),
    kind: z.string(),
    method: z.string().nullable(),
    tool: z.string().nullable(),
    requestMethod: z.string().nullable().describe("For a response: the method of the request it answers."),
    payload: z.unknown().describe("The message as recorded (masked by the policy in force then)."),
  })
  .meta({ id: "PolicySample" });
export type PolicySample = z.output<typeof policySampleSchema>;
