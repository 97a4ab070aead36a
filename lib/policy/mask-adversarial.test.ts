import { describe, expect, it } from "vitest";
import { DETECTOR_IMPLEMENTATIONS } from "./detectors/index.ts";
import { fold } from "./fold.ts";
import { compileMask, maskMessage } from "./mask.ts";
import { type MaskRule, policyDocumentSchema } from "./schema.ts";

// Inputs shaped to make a backtracking matcher or a rescanning loop go quadratic (or worse): long
// runs of what each detector's pattern starts with, almost-matches repeated, separators without
// end, deep nesting. Every detector and the whole masker must get through 100 KB of each. There is
// no timing assertion (the machine is shared): a catastrophic case would not finish within the
// test timeout, and that is what fails.

const SIZE = 100 * 1024;
const fill = (unit: string) => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

const ADVERSARIAL: Record<string, string> = {
  "digits and spaces": fill("1 "),
  "digits and dashes": fill("1-"),
  "digits and dots": fill("1."),
  "digits and plus": fill("1+"),
  "digit groups of four": fill("4111 "),
  "almost cards": fill("4111 1111 1111 111 "),
  parentheses: fill("(1)"),
  "plus signs": fill("+1 (0)"),
  "at signs": fill("a@"),
  "at and dots": fill("a.b@c."),
  "quoted local parts": fill('"a"@'),
  "unicode letters and at": fill("ü@"),
  colons: fill(":"),
  "hex and colons": fill("a:"),
  "hex and double colons": fill("ab::"),
  "almost IPv6": fill("1:2:3:4:5:6:7:"),
  "dotted quads": fill("1.2.3."),
  "IBAN starts": fill("GB82"),
  "IBAN almost": fill("GB82 WEST 1234 5698 7654 3 "),
  "JWT header starts": fill("eyJ"),
  "JWT header runs": fill("eyJaaaaaaaa"),
  "JWT segments": fill("eyJhbGciOiJIUzI1NiJ9."),
  "token letters": "a".repeat(SIZE),
  "base64 with context": `aws secret ${fill("aB3+")}`,
  "AWS prefixes": fill("AKIA"),
  "github prefixes": fill("ghp_"),
  "github pat prefixes": fill("github_pat_"),
  "slack prefixes": fill("xoxb-"),
  "stripe prefixes": fill("sk_live_"),
  "openai prefixes": fill("sk-"),
  "google prefixes": fill("AIza"),
  "PEM begins": fill("-----BEGIN PRIVATE KEY-----"),
  "PEM almost": fill("-----BEGIN "),
  dashes: fill("-"),
  bearer: fill("Bearer "),
  "bearer tokens": fill("bearer aaaaaaaaaaaa"),
  "key=value": fill("password="),
  "key quoted": fill('password:"'),
  "escaped quotes": fill('password:\\"a'),
  "percent escapes": fill("%41"),
  "percent signs": fill("%"),
  "zero-width": fill("1\u200B"),
  "full-width digits": fill("４"),
  "NBSP groups": fill("4111\u00A0"),
  mixed: fill("a@b.c 1-2 x:y eyJ ghp_ AKIA 4111 %20 \u200B "),
};

const KEY = new Uint8Array(32).fill(5);
const mask = compileMask(
  policyDocumentSchema.parse({
    rules: [
      { kind: "mask", detectors: ["all"], style: "partial" },
      { kind: "mask", keys: ["password", "apiKey"], style: "hash" },
      { kind: "mask", regex: "(a+)+$", label: "nested" },
    ],
  }).rules as MaskRule[],
  KEY,
)!;

describe("adversarial 100 KB inputs terminate", () => {
  for (const [name, text] of Object.entries(ADVERSARIAL)) {
    it(`${name}: every detector, the fold and the masker`, () => {
      for (const detector of Object.values(DETECTOR_IMPLEMENTATIONS)) detector.detect(text, { key: "ssn" }, []);
      expect(fold(text).text.length).toBeGreaterThan(0);
      const { message } = maskMessage(mask, {
        jsonrpc: "2.0",
        id: 1,
        result: { content: [{ type: "text", text }], structuredContent: { [text.slice(0, 4096)]: text } },
      });
      expect(message).toBeTruthy();
    });
  }

  it("deeply nested JSON in a string and deep objects", () => {
    const deep = `${"[".repeat(5000)}"4111111111111111"${"]".repeat(5000)}`;
    let nested: unknown = "jane@example.com";
    for (let i = 0; i < 5000; i++) nested = { a: nested };
    const { message } = maskMessage(mask, { jsonrpc: "2.0", id: 1, result: { text: deep, structuredContent: nested } });
    expect(JSON.stringify(message)).not.toContain("4111111111111111");
    expect(JSON.stringify(message)).not.toContain("jane@example.com");
  });
});
