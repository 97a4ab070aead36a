import { describe, expect, it } from "vitest";
import { AdminRegexError, adminRegexProblem, compileAdminRegex } from "./admin-regex.ts";
import { compileGuardrails, decide } from "./guardrails.ts";
import { policyDocumentSchema } from "./schema.ts";

describe("admin regexes (RE2, linear time)", () => {
  it("compiles RE2 syntax, including inline flags and named groups", () => {
    expect(compileAdminRegex("(?i)drop\\s+table").test("DROP  TABLE x")).toBe(true);
    expect(compileAdminRegex("(?P<id>ORD-\\d{6})").test("ORD-123456")).toBe(true);
    expect(adminRegexProblem("\\bsecret\\b")).toBeNull();
  });

  it("explains why a pattern is refused", () => {
    expect(() => compileAdminRegex("(?=x)")).toThrow(AdminRegexError);
    expect(adminRegexProblem("(?!x)y")).toMatch(/linear-time regex engine.*lookahead and lookbehind/);
    expect(adminRegexProblem("(x)\\1")).toMatch(/backreferences/);
    expect(adminRegexProblem("a".repeat(1001))).toBe("must be at most 1000 characters");
  });

  it("(a+)+$ against 100 KB of 'a's returns quickly (no catastrophic backtracking)", () => {
    const re = compileAdminRegex("(a+)+$");
    const input = `${"a".repeat(100_000)}!`;
    const started = performance.now();
    expect(re.test(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("a ReDoS-shaped argument matcher cannot stall a guardrail decision", () => {
    const doc = policyDocumentSchema.parse({
      rules: [{ kind: "guardrail", match: { arguments: [{ path: "$.q", regex: "^(a|aa)+$" }] }, action: "deny" }],
    });
    const started = performance.now();
    const decision = decide(compileGuardrails(doc, null), {
      method: "tools/call",
      params: { name: "t", arguments: { q: `${"a".repeat(100_000)}b` } },
    });
    expect(decision.action).toBe("allow");
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
