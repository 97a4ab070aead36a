import { z } from "zod";
import { AppError } from "../errors.ts";
import { adminRegexProblem, MAX_REGEX_LENGTH } from "./admin-regex.ts";
import { compileJsonPath } from "./json-path.ts";

// The policy document format: what the API accepts and stores, and what compilePolicy reads.
// Messages are phrased for the person editing the rule; the API prefixes them with the field path.

export const DETECTORS = [
  "email",
  "phone",
  "payment-card",
  "iban",
  "us-ssn",
  "ip-address",
  "aws-access-key",
  "aws-secret-key",
  "github-token",
  "slack-token",
  "stripe-key",
  "openai-key",
  "google-api-key",
  "jwt",
  "private-key",
  "bearer-token",
] as const;
export type DetectorName = (typeof DETECTORS)[number];

export const GUARDRAIL_ACTIONS = ["allow", "deny", "require-approval"] as const;
export type GuardrailAction = (typeof GUARDRAIL_ACTIONS)[number];
export const MASK_STYLES = ["redact", "partial", "hash"] as const;
export type MaskStyle = (typeof MASK_STYLES)[number];

const RULE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const LABEL = /^[a-z0-9-]{1,40}$/;

const ruleId = z.string().regex(RULE_ID, "must be 1–64 letters, digits, '_' or '-'");
const description = z.string().max(500, "must be at most 500 characters");

const jsonPath = z
  .string()
  .min(1, "must be a JSON path such as $.query")
  .superRefine((path, ctx) => {
    try {
      compileJsonPath(path);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  });

const adminRegex = z
  .string()
  .min(1, "must not be empty")
  .max(MAX_REGEX_LENGTH, `must be at most ${MAX_REGEX_LENGTH} characters`)
  .superRefine((pattern, ctx) => {
    const problem = adminRegexProblem(pattern);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const argumentMatcherSchema = z
  .strictObject({
    path: jsonPath.describe("JSON path into params.arguments, e.g. $.query, $.options.force, $.items[*].name, $..password"),
    equals: z.json().optional().describe("Matches when any selected value deep-equals this JSON value."),
    regex: adminRegex.optional().describe("RE2 syntax, unanchored search; matches selected strings, numbers and booleans."),
    exists: z.boolean().optional().describe("true: the path selects something; false: it selects nothing."),
  })
  .superRefine((matcher, ctx) => {
    const set = (["equals", "regex", "exists"] as const).filter((key) => matcher[key] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          set.length === 0
            ? "needs exactly one of equals, regex or exists"
            : `needs exactly one of equals, regex or exists (got ${set.join(" and ")})`,
      });
    }
  });

export const guardrailRuleSchema = z.strictObject({
  id: ruleId.optional(),
  kind: z.literal("guardrail"),
  description: description.optional(),
  match: z
    .strictObject({
      method: z
        .string()
        .min(1, "must not be empty")
        .max(200)
        .optional()
        .describe('JSON-RPC method, exact or glob: "tools/call", "resources/*".'),
      name: z
        .string()
        .min(1, "must not be empty")
        .max(1000)
        .optional()
        .describe("Glob over the tool name, resource URI or prompt name; compared after NFKC and case folding."),
      arguments: z.array(argumentMatcherSchema).max(20, "at most 20 argument matchers per rule").optional(),
    })
    .refine((match) => match.method !== undefined || match.name !== undefined || (match.arguments?.length ?? 0) > 0, {
      message: "needs at least one of method, name or arguments",
    }),
  action: z.enum(GUARDRAIL_ACTIONS, { error: 'must be "allow", "deny" or "require-approval"' }),
  holdMinutes: z
    .number()
    .int("must be a whole number of minutes")
    .min(1, "must be at least 1")
    .max(1440, "must be at most 1440 (24 h)")
    .optional()
    .describe("require-approval only: how long a held call waits for a decision."),
});

export const maskRuleSchema = z
  .strictObject({
    id: ruleId.optional(),
    kind: z.literal("mask"),
    description: description.optional(),
    detectors: z
      .union([z.tuple([z.literal("all")]), z.array(z.enum(DETECTORS)).min(1)], {
        error: `must be ["all"] or a list of detectors from: ${DETECTORS.join(", ")}`,
      })
      .optional(),
    paths: z.array(jsonPath).max(50, "at most 50 paths per rule").optional().describe("JSON paths from the message root."),
    keys: z
      .array(z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"))
      .max(50, "at most 50 keys per rule")
      .optional()
      .describe('Property names at any depth, compared ignoring case, "_" and "-".'),
    regex: adminRegex.optional(),
    label: z.string().regex(LABEL, "must be 1–40 lowercase letters, digits or '-'").optional(),
    style: z.enum(MASK_STYLES, { error: 'must be "redact", "partial" or "hash"' }).default("redact"),
  })
  .superRefine((rule, ctx) => {
    const selectors = (rule.detectors?.length ?? 0) + (rule.paths?.length ?? 0) + (rule.keys?.length ?? 0) + (rule.regex ? 1 : 0);
    if (selectors === 0) ctx.addIssue({ code: "custom", message: "needs at least one of detectors, paths, keys or regex" });
    if (rule.regex !== undefined && rule.label === undefined) {
      ctx.addIssue({ code: "custom", path: ["label"], message: "is required with regex (it names what was masked, e.g. order-id)" });
    }
  });

export const ruleSchema = z.discriminatedUnion("kind", [guardrailRuleSchema, maskRuleSchema], {
  error: 'must be "guardrail" or "mask"',
});

// Not strict at the top level: API bodies extend the document (e.g. savePolicySchema adds
// baseVersion via .and), which a strict object would refuse. Rules stay strict to catch typos.
export const policyDocumentSchema = z
  .object({
    default: z.enum(["allow", "deny"], { error: 'must be "allow" or "deny"' }).default("allow"),
    rules: z.array(ruleSchema).max(200, "at most 200 rules per policy"),
  })
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.rules.forEach((rule, index) => {
      if (rule.id === undefined) return;
      if (seen.has(rule.id))
        ctx.addIssue({ code: "custom", path: ["rules", index, "id"], message: `"${rule.id}" is used by another rule` });
      seen.add(rule.id);
    });
  });

export type PolicyDocument = z.output<typeof policyDocumentSchema>;
export type PolicyDocumentInput = z.input<typeof policyDocumentSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type GuardrailRule = z.output<typeof guardrailRuleSchema>;
export type MaskRule = z.output<typeof maskRuleSchema>;
export type ArgumentMatcher = z.output<typeof argumentMatcherSchema>;

// globalThis.crypto (Web Crypto) rather than node:crypto: this file is imported by the browser too.
export function newRuleId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(4));
  return `r-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A copy in which every rule has an id: missing ones get "r-" + 8 random hex characters. The
 * portal calls it when saving so that decisions, held calls and audit entries can name the rule.
 * Duplicate ids are refused (400) rather than renamed: another rule's id is referenced elsewhere.
 */
export function assignRuleIds(doc: PolicyDocument): PolicyDocument {
  const taken = new Map<string, number>();
  doc.rules.forEach((rule, index) => {
    if (rule.id === undefined) return;
    const first = taken.get(rule.id);
    if (first !== undefined) {
      throw new AppError("BAD_REQUEST", `rule ids must be unique: "${rule.id}" is the id of rules ${first} and ${index}.`, {
        field: `rules.${index}.id`,
      });
    }
    taken.set(rule.id, index);
  });
  const rules = doc.rules.map((rule) => {
    if (rule.id !== undefined) return { ...rule };
    let id = newRuleId();
    while (taken.has(id)) id = newRuleId();
    taken.set(id, -1);
    return { ...rule, id };
  });
  return { ...doc, rules };
}
