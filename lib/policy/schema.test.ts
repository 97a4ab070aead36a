import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { parseInput } from "../validate.ts";
import { assignRuleIds, type PolicyDocumentInput, policyDocumentSchema } from "./schema.ts";

function problem(input: unknown): string {
  try {
    parseInput(policyDocumentSchema, input);
  } catch (error) {
    return (error as Error).message;
  }
  return "(valid)";
}

const guardrail = (extra: Record<string, unknown> = {}) => ({ kind: "guardrail", match: { name: "delete_*" }, action: "deny", ...extra });

describe("policyDocumentSchema", () => {
  it("accepts a full document and fills defaults", () => {
    const input: PolicyDocumentInput = {
      rules: [
        {
          id: "r-1",
          kind: "guardrail",
          description: "No destructive SQL",
          match: { method: "tools/call", name: "run_*", arguments: [{ path: "$.query", regex: "(?i)drop\\s+table" }] },
          action: "deny",
        },
        {
          kind: "guardrail",
          match: {
            arguments: [
              { path: "$.options.force", equals: true },
              { path: "$..password", exists: true },
            ],
          },
          action: "require-approval",
          holdMinutes: 30,
        },
        { kind: "mask", detectors: ["all"] },
        { kind: "mask", detectors: ["email", "iban"], keys: ["password"], paths: ["$.result.structuredContent.ssn"], style: "hash" },
        { kind: "mask", regex: "ORD-\\d{6}", label: "order-id", style: "partial" },
      ],
    };
    const doc = parseInput(policyDocumentSchema, input);
    expect(doc.default).toBe("allow");
    expect(doc.rules[2]).toMatchObject({ kind: "mask", style: "redact" });
  });

  it.each([
    [{ default: "block", rules: [] }, 'default: must be "allow" or "deny"'],
    [{ rules: [{ kind: "rule" }] }, 'rules.0.kind: must be "guardrail" or "mask"'],
    [{ rules: [guardrail({ action: "block" })] }, 'rules.0.action: must be "allow", "deny" or "require-approval"'],
    [{ rules: [guardrail({ acton: "deny" })] }, "rules.0.acton: is not a field that can be set here."],
    [{ rules: [guardrail({ match: {} })] }, "rules.0.match: needs at least one of method, name or arguments"],
    [{ rules: [guardrail({ id: "bad id!" })] }, "rules.0.id: must be 1–64 letters, digits, '_' or '-'"],
    [{ rules: [guardrail({ holdMinutes: 0 })] }, "rules.0.holdMinutes: must be at least 1"],
    [{ rules: [guardrail({ holdMinutes: 2000 })] }, "rules.0.holdMinutes: must be at most 1440 (24 h)"],
    [
      { rules: [guardrail({ match: { arguments: [{ path: "$.q" }] } })] },
      "rules.0.match.arguments.0: needs exactly one of equals, regex or exists",
    ],
    [
      { rules: [guardrail({ match: { arguments: [{ path: "$.q", equals: 1, exists: true }] } })] },
      "rules.0.match.arguments.0: needs exactly one of equals, regex or exists (got equals and exists)",
    ],
    [
      { rules: [guardrail({ match: { arguments: [{ path: "q", exists: true }] } })] },
      'rules.0.match.arguments.0.path: "q" is not a valid JSON path: it must start with "$"',
    ],
    [{ rules: [{ kind: "mask" }] }, "rules.0: needs at least one of detectors, paths, keys or regex"],
    [{ rules: [{ kind: "mask", regex: "x+" }] }, "rules.0.label: is required with regex"],
    [
      { rules: [{ kind: "mask", detectors: ["all", "email"] }] },
      'rules.0.detectors: must be ["all"] or a list of detectors from: email, phone',
    ],
    [{ rules: [{ kind: "mask", detectors: ["passport"] }] }, "rules.0.detectors: must be"],
    [{ rules: [{ kind: "mask", keys: ["password"], style: "scramble" }] }, 'rules.0.style: must be "redact", "partial" or "hash"'],
    [{ rules: [{ kind: "mask", regex: "x", label: "Order ID" }] }, "rules.0.label: must be 1–40 lowercase letters, digits or '-'"],
    [{ rules: [guardrail({ id: "r-1" }), guardrail({ id: "r-1" })] }, 'rules.1.id: "r-1" is used by another rule'],
    [{ rules: Array.from({ length: 201 }, () => guardrail()) }, "rules: at most 200 rules per policy"],
  ])("refuses %j: %s", (input, message) => {
    expect(problem(input)).toContain(message);
  });

  it.each([
    ["(?=lookahead)", "lookahead and lookbehind"],
    ["(?<=x)y", "lookahead and lookbehind"],
    ["(a)\\1", "backreferences"],
    ["a{5000}", "repetition counts must be at most 1000"],
    ["[unclosed", "missing closing ]"],
  ])("refuses the regex %j, saying the linear-time engine does not support it and why", (regex, why) => {
    const message = problem({ rules: [guardrail({ match: { arguments: [{ path: "$.q", regex }] } })] });
    expect(message).toContain("rules.0.match.arguments.0.regex: is not supported by the linear-time regex engine");
    expect(message).toContain(why);
    expect(problem({ rules: [{ kind: "mask", regex, label: "x" }] })).toContain(
      "rules.0.regex: is not supported by the linear-time regex engine",
    );
  });

  it("refuses regexes longer than 1000 characters", () => {
    expect(problem({ rules: [{ kind: "mask", regex: "a".repeat(1001), label: "x" }] })).toContain(
      "rules.0.regex: must be at most 1000 characters",
    );
  });

  it("lets API bodies extend the document (e.g. baseVersion next to it)", () => {
    const doc = parseInput(policyDocumentSchema, { default: "deny", rules: [], baseVersion: 3 });
    expect(doc).toEqual({ default: "deny", rules: [] });
  });
});

describe("assignRuleIds", () => {
  it("gives rules without an id a short unique one and keeps existing ids", () => {
    const doc = parseInput(policyDocumentSchema, {
      rules: [guardrail({ id: "keep-me" }), guardrail(), { kind: "mask", detectors: ["all"] }],
    });
    const withIds = assignRuleIds(doc);
    expect(withIds.rules[0]!.id).toBe("keep-me");
    expect(withIds.rules[1]!.id).toMatch(/^r-[0-9a-f]{8}$/);
    expect(withIds.rules[2]!.id).toMatch(/^r-[0-9a-f]{8}$/);
    expect(withIds.rules[1]!.id).not.toBe(withIds.rules[2]!.id);
    expect(doc.rules[1]!.id).toBeUndefined(); // a copy: the input is untouched
    expect(assignRuleIds(withIds)).toEqual(withIds); // stable once assigned
  });

  it("refuses duplicate ids with a 400 naming the rule", () => {
    const doc = { default: "allow" as const, rules: [guardrail({ id: "same" }), guardrail({ id: "same" })] } as Parameters<
      typeof assignRuleIds
    >[0];
    expect(() => assignRuleIds(doc)).toThrow(AppError);
    expect(() => assignRuleIds(doc)).toThrow('rule ids must be unique: "same" is the id of rules 0 and 1.');
    try {
      assignRuleIds(doc);
    } catch (error) {
      expect((error as AppError).field).toBe("rules.1.id");
    }
  });
});
