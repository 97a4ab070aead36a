import { Buffer } from "node:buffer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { IBAN_LENGTHS } from "./detectors/iban.ts";
import { luhnCheckDigit, stringsIn } from "./generated-values.ts";
import { compileMask, maskMessage } from "./mask.ts";
import { type MaskRule, policyDocumentSchema } from "./schema.ts";

// Property tests: generated secrets (valid by construction: Luhn, mod-97, decodable JWT headers…)
// must never survive masking wherever they are put, and masking must be idempotent, keep the
// JSON-RPC envelope and never modify its input, on any JSON.

const KEY = new Uint8Array(32).fill(9);
const compiled = compileMask(
  policyDocumentSchema.parse({
    rules: [
      { kind: "mask", detectors: ["all"] },
      { kind: "mask", keys: ["password"], style: "hash" },
    ],
  }).rules as MaskRule[],
  KEY,
)!;

const digit = fc.integer({ min: 0, max: 9 }).map(String);
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(""));
const fromChars = (chars: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...chars), { minLength: min, maxLength: max }).map((c) => c.join(""));
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const ISSUERS: Array<[string, number]> = [
  ["4", 16],
  ["4", 13],
  ["4", 19],
  ["51", 16],
  ["55", 16],
  ["2221", 16],
  ["2720", 16],
  ["34", 15],
  ["37", 15],
  ["6011", 16],
  ["65", 16],
  ["644", 16],
  ["3528", 16],
  ["3589", 19],
  ["300", 14],
  ["36", 14],
  ["38", 16],
  ["62", 16],
  ["6759", 16],
];

const card = fc
  .tuple(fc.constantFrom(...ISSUERS), fc.array(digit, { minLength: 19, maxLength: 19 }), fc.constantFrom("", " ", "-"))
  .map(([[prefix, length], fill, sep]) => {
    const body = (prefix + fill.join("")).slice(0, length - 1);
    const number = body + luhnCheckDigit(body);
    if (sep === "" || (length !== 16 && length !== 15)) return number;
    const groups = length === 16 ? [4, 4, 4, 4] : [4, 6, 5];
    const parts: string[] = [];
    let at = 0;
    for (const size of groups) {
      parts.push(number.slice(at, at + size));
      at += size;
    }
    return parts.join(sep);
  });

function mod97(numeric: string): number {
  let remainder = 0;
  for (const c of numeric) remainder = (remainder * 10 + Number(c)) % 97;
  return remainder;
}

const ibanToDigits = (s: string) => [...s].map((c) => (/\d/.test(c) ? c : String(c.charCodeAt(0) - 55))).join("");

const iban = fc
  .tuple(
    fc.constantFrom("GB", "DE", "FR", "NL", "ES", "IT", "CH", "BE", "AT", "PL", "NO", "SE"),
    fromChars(UPPER_ALNUM, 30, 30),
    fc.boolean(),
  )
  .map(([country, fill, spaced]) => {
    const bban = fill.slice(0, IBAN_LENGTHS[country]! - 4);
    const check = String(98 - mod97(ibanToDigits(`${bban}${country}00`))).padStart(2, "0");
    const compact = country + check + bban;
    return spaced ? compact.replace(/(.{4})(?!$)/g, "$1 ") : compact;
  });

const label = fromChars("abcdefghijklmnopqrstuvwxyz0123456789", 1, 10);
const email = fc
  .tuple(
    fromChars("abcdefghijklmnopqrstuvwxyz0123456789", 1, 12),
    fc.option(fromChars("abcdefghijklmnopqrstuvwxyz0123456789_+-", 1, 8)),
    label,
    fromChars("abcdefghijklmnopqrstuvwxyz", 2, 6),
  )
  .map(([local, extra, domain, tld]) => `${local}${extra ? `.${extra}` : ""}@${domain}.${tld}`);

const awsAccessKey = fc
  .tuple(fc.constantFrom("AKIA", "ASIA", "AROA", "AIDA"), fromChars("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 16))
  .map(([prefix, rest]) => prefix + rest);

const githubToken = fc.tuple(fc.constantFrom("ghp_", "gho_", "ghs_"), fromChars(ALNUM, 36, 36)).map(([prefix, rest]) => prefix + rest);

// Random but key-like: mixed case and digits, as a real key is.
const mixed = (n: number) => fromChars(ALNUM, n - 3, n - 3).map((rest) => `aZ9${rest}`);
const stripeKey = fc.tuple(fc.constantFrom("sk_live_", "sk_test_", "rk_live_"), mixed(24)).map(([prefix, rest]) => prefix + rest);
const openaiKey = fc.tuple(fc.constantFrom("sk-", "sk-proj-"), mixed(48)).map(([prefix, rest]) => prefix + rest);
const slackToken = fc
  .tuple(fc.constantFrom("xoxb-", "xoxp-"), digits(12), mixed(24))
  .map(([prefix, team, rest]) => `${prefix}${team}-${rest}`);

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = fc
  .tuple(fc.constantFrom("HS256", "RS256", "ES256"), fc.dictionary(label, fc.oneof(label, fc.integer())), fromChars(`${ALNUM}-_`, 20, 60))
  .map(([alg, claims, signature]) => `${b64url({ alg, typ: "JWT" })}.${b64url(claims)}.${signature}`);

const pem = fc
  .tuple(
    fc.constantFrom("", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "),
    fc.array(fromChars(`${ALNUM}+/`, 64, 64), { minLength: 1, maxLength: 5 }),
  )
  .map(([kind, lines]) => `-----BEGIN ${kind}PRIVATE KEY-----\n${lines.join("\n")}\n-----END ${kind}PRIVATE KEY-----`);

const ssn = fc
  .tuple(
    fc.integer({ min: 1, max: 899 }).filter((a) => a !== 666),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 1, max: 9999 }),
    fc.constantFrom("-", " "),
  )
  .map(([area, group, serial, sep]) =>
    [String(area).padStart(3, "0"), String(group).padStart(2, "0"), String(serial).padStart(4, "0")].join(sep),
  );

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((octets) => octets.join("."));

const secret = fc.oneof(card, iban, email, awsAccessKey, githubToken, stripeKey, openaiKey, slackToken, jwt, pem, ssn, ipv4);

// Surrounding prose: words of letters, digits and punctuation, with the secret as its own word.
const word = fromChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;!?()'\"", 1, 10);
const prose = fc.array(word, { maxLength: 8 }).map((words) => words.join(" "));
const sentence = fc
  .tuple(prose, secret, prose)
  .map(([before, value, after]) => ({ value, text: [before, value, after].filter(Boolean).join(" ") }));

/** Puts `leaf` somewhere inside `json` (or next to it). */
function plant(json: unknown, leaf: string, where: number): unknown {
  if (Array.isArray(json) && json.length > 0) {
    const copy = [...json];
    copy[where % copy.length] = plant(copy[where % copy.length], leaf, Math.floor(where / 2));
    return copy;
  }
  if (typeof json === "object" && json !== null && Object.keys(json).length > 0) {
    const keys = Object.keys(json);
    const key = keys[where % keys.length]!;
    return { ...json, [key]: plant((json as Record<string, unknown>)[key], leaf, Math.floor(where / 2)) };
  }
  return where % 2 === 0 ? leaf : [json, leaf];
}

const RUNS = { numRuns: 300 };

describe("masking properties", () => {
  it("no generated secret survives in text", () => {
    fc.assert(
      fc.property(sentence, ({ value, text }) => {
        const { message } = maskMessage(compiled, { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text }] } });
        for (const s of stringsIn(message)) expect(s).not.toContain(value);
      }),
      RUNS,
    );
  });

  it("no generated secret survives anywhere in a random JSON structure, or in JSON serialized into a string", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), sentence, fc.nat(1000), fc.boolean(), (json, { value, text }, where, serialize) => {
        const planted = plant(json, text, where);
        const result = serialize ? { content: [{ type: "text", text: JSON.stringify(planted, null, 2) }] } : { structuredContent: planted };
        const { message } = maskMessage(compiled, { jsonrpc: "2.0", id: "x", result });
        for (const s of stringsIn(message)) expect(s).not.toContain(value);
      }),
      RUNS,
    );
  });

  const message = fc
    .tuple(
      fc.oneof(fc.integer(), fc.string()),
      fc.oneof(fc.constant(undefined), fc.constantFrom("tools/call", "notifications/message")),
      fc.jsonValue({ maxDepth: 5 }),
      fc.array(sentence, { maxLength: 3 }),
      fc.nat(1000),
    )
    .map(([id, method, json, sentences, where]) => {
      let body: unknown = json;
      sentences.forEach(({ text }, i) => {
        body = plant(body, i === 1 ? JSON.stringify({ password: text, note: text }) : text, where + i);
      });
      return method === undefined ? { jsonrpc: "2.0", id, result: body } : { jsonrpc: "2.0", id, method, params: body };
    });

  it("is idempotent: masking masked output changes nothing", () => {
    fc.assert(
      fc.property(message, (input) => {
        const once = maskMessage(compiled, input).message;
        const twice = maskMessage(compiled, once);
        expect(JSON.stringify(twice.message)).toBe(JSON.stringify(once));
        expect(twice.findings).toEqual([]);
      }),
      RUNS,
    );
  });

  it("keeps a valid JSON-RPC message: same jsonrpc, id and method, JSON-serializable", () => {
    fc.assert(
      fc.property(message, (input) => {
        const out = maskMessage(compiled, input).message as Record<string, unknown>;
        expect(out.jsonrpc).toBe("2.0");
        expect(out.id).toBe(input.id);
        expect(out.method).toBe((input as { method?: string }).method);
        expect(Object.keys(out).sort()).toEqual(Object.keys(input).sort());
        const serialized = JSON.stringify(out);
        expect(JSON.stringify(JSON.parse(serialized))).toBe(serialized);
      }),
      RUNS,
    );
  });

  it("never modifies its input", () => {
    fc.assert(
      fc.property(message, (input) => {
        const before = JSON.stringify(input);
        maskMessage(compiled, input);
        expect(JSON.stringify(input)).toBe(before);
      }),
      RUNS,
    );
  });

  it("never throws on arbitrary JSON in result or params", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (json, asParams) => {
        const input = asParams ? { jsonrpc: "2.0", method: "x", params: json } : { jsonrpc: "2.0", id: 1, result: json };
        expect(() => maskMessage(compiled, input)).not.toThrow();
      }),
      RUNS,
    );
  });
});
