import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, canonicalJsonForTests, chainHash, sha256Hex } from "./hash.ts";

const reference = canonicalJsonForTests.reference;

/** A small deterministic generator, so a failure repeats. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const KEYS = [
  "id",
  "jsonrpc",
  "method",
  "params",
  "0",
  "10",
  "9",
  "01",
  "-1",
  "1.5",
  "4294967295",
  "4294967294",
  "é",
  "Z",
  "a",
  "__proto__",
  "",
  "toString",
];
const STRINGS = ["", "plain", 'quote " and \\ backslash', "line\nbreak\u0000\u001f", "\ud800 lone", "😀", "ünïcödé"];

function value(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 6 : 9));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return [0, -0, 1.5, 1e21, -3, 2 ** 53, 1e-7, Number.NaN, Number.POSITIVE_INFINITY][Math.floor(next() * 9)];
    case 3:
    case 4:
      return STRINGS[Math.floor(next() * STRINGS.length)];
    case 5:
      return [undefined, () => 1, Symbol("s")][Math.floor(next() * 3)];
    case 6:
      return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
    default: {
      const text = `{${Array.from({ length: Math.floor(next() * 5) }, () => `${JSON.stringify(KEYS[Math.floor(next() * KEYS.length)])}:0`).join(",")}}`;
      const object = JSON.parse(text) as Record<string, unknown>;
      for (const key of Object.keys(object)) object[key] = value(next, depth + 1);
      return object;
    }
  }
}

describe("canonicalJson", () => {
  it("writes exactly the reference form (sorted keys, JSON.stringify rules) for random JSON-like values", () => {
    const next = random(7);
    for (let i = 0; i < 5000; i++) {
      const sample = { payload: value(next, 0), seq: i };
      expect(canonicalJson(sample)).toBe(reference(sample));
    }
  });

  it("handles toJSON, dates, class instances and boxed primitives like the reference", () => {
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    const samples: unknown[] = [
      { b: new Date(0), a: { toJSON: (key: string) => ({ key, z: 1, y: 2 }) } },
      { p: new Point(2, 1), s: new String("ab"), n: new Number(3), m: new Map([[1, 2]]) },
      [undefined, () => 0, { c: undefined, b: [1, { d: 1, c: 2 }] }],
      Object.assign(Object.create(null), { b: 1, a: 2 }),
      "top",
      7,
    ];
    for (const sample of samples) expect(canonicalJson(sample)).toBe(reference(sample));
  });

  it("keeps the hashes of the chain (sha256 of predecessor and canonical JSON)", () => {
    expect(sha256Hex("abc")).toBe(createHash("sha256").update("abc").digest("hex"));
    const record = {
      seq: 1,
      at: "2026-01-01T00:00:00.000Z",
      direction: "CLIENT_TO_UPSTREAM",
      payload: { method: "x", id: 1, jsonrpc: "2.0" },
    };
    const expected = createHash("sha256")
      .update(`prev\n${reference(record)}`)
      .digest("hex");
    expect(chainHash("prev", record)).toBe(expected);
  });
});
