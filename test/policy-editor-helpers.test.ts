import { describe, expect, it } from "vitest";
import { collapseUnchanged, diffLines } from "../components/line-diff.ts";
import { summarizeRule } from "../components/policy-format.ts";
import { newRuleId, policyDocumentSchema } from "../lib/policy/schema.ts";

// The policy editor's pure helpers: the versions diff and the one-line rule summaries.

describe("diffLines", () => {
  it("keeps common lines, lists removed before added", () => {
    expect(diffLines("a\nb\nc", "a\nB\nc")).toEqual([
      { kind: "same", text: "a" },
      { kind: "removed", text: "b" },
      { kind: "added", text: "B" },
      { kind: "same", text: "c" },
    ]);
  });

  it("handles insertions, deletions and empty sides", () => {
    expect(diffLines("x\ny", "y\nz").map((line) => line.kind)).toEqual(["removed", "same", "added"]);
    expect(diffLines("", "a").map((line) => line.kind)).toEqual(["removed", "added"]);
    expect(diffLines("same", "same")).toEqual([{ kind: "same", text: "same" }]);
  });

  it("reproduces both sides exactly", () => {
    const before = Array.from({ length: 60 }, (_, i) => `line ${i}`).join("\n");
    const after = before.replace("line 7\n", "").replace("line 40", "line forty").concat("\nline 60");
    const diff = diffLines(before, after);
    expect(diff.filter((line) => line.kind !== "added").map((line) => line.text)).toEqual(before.split("\n"));
    expect(diff.filter((line) => line.kind !== "removed").map((line) => line.text)).toEqual(after.split("\n"));
  });
});

describe("collapseUnchanged", () => {
  it("keeps three lines of context around changes and counts the rest", () => {
    const before = Array.from({ length: 20 }, (_, i) => String(i)).join("\n");
    const after = before.replace("\n10\n", "\nten\n");
    const shown = collapseUnchanged(diffLines(before, after));
    expect(shown[0]).toEqual({ kind: "skipped", count: 7 });
    expect(shown.slice(1, 4).map((line) => ("text" in line ? line.text : null))).toEqual(["7", "8", "9"]);
    expect(shown.at(-1)).toEqual({ kind: "skipped", count: 6 });
  });
});

describe("summarizeRule", () => {
  it("reads a guardrail and a mask rule in one line", () => {
    const doc = policyDocumentSchema.parse({
      rules: [
        {
          kind: "guardrail",
          match: { method: "tools/call", name: "run_sql", arguments: [{ path: "$.query", regex: "(?i)drop" }] },
          action: "require-approval",
          holdMinutes: 30,
        },
        { kind: "mask", detectors: ["email", "phone"], keys: ["password"], style: "partial" },
      ],
    });
    expect(doc.rules.map(summarizeRule)).toEqual([
      "Require approval: tools/call run_sql when $.query matches /(?i)drop/ (held up to 30 min)",
      "Mask email, phone; keys password (partial)",
    ]);
  });
});

describe("newRuleId", () => {
  it("uses Web Crypto (browser-safe): r- and 8 hex characters", () => {
    expect(newRuleId()).toMatch(/^r-[0-9a-f]{8}$/);
    expect(new Set(Array.from({ length: 100 }, newRuleId)).size).toBe(100);
  });
});
