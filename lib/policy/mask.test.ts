import { describe, expect, it } from "vitest";
import { compileMask, type MaskResult, maskMessage } from "./mask.ts";
import { type MaskRule, policyDocumentSchema } from "./schema.ts";

const KEY = new Uint8Array(32).fill(1);

function rules(...input: Array<Record<string, unknown>>): MaskRule[] {
  return policyDocumentSchema.parse({ rules: input.map((rule) => ({ kind: "mask", ...rule })) }).rules as MaskRule[];
}

function mask(message: unknown, ...input: Array<Record<string, unknown>>): MaskResult {
  return maskMessage(compileMask(rules(...input), KEY)!, message);
}

const ALL = { detectors: ["all"] };

function response(result: unknown) {
  return { jsonrpc: "2.0", id: 7, result };
}

describe("maskMessage: where it looks", () => {
  it("masks every string leaf under result, but never jsonrpc, id or method", () => {
    const message = {
      jsonrpc: "2.0",
      id: "jane@example.com",
      method: "jane@example.com",
      result: {
        content: [
          { type: "text", text: "mail jane@example.com" },
          { type: "resource", resource: { uri: "file:///a", text: "card 4111 1111 1111 1111" } },
        ],
        structuredContent: { deep: [{ deeper: { owner: "bob@example.org" } }] },
        _meta: { note: "ip 10.1.2.3" },
      },
    };
    const { message: out, counts, maskedCount } = mask(message, ALL);
    expect(out).toEqual({
      jsonrpc: "2.0",
      id: "jane@example.com",
      method: "jane@example.com",
      result: {
        content: [
          { type: "text", text: "mail [REDACTED:email]" },
          { type: "resource", resource: { uri: "file:///a", text: "card [REDACTED:payment-card]" } },
        ],
        structuredContent: { deep: [{ deeper: { owner: "[REDACTED:email]" } }] },
        _meta: { note: "ip [REDACTED:ip-address]" },
      },
    });
    expect(counts).toEqual({ email: 2, "payment-card": 1, "ip-address": 1 });
    expect(maskedCount).toBe(4);
  });

  it("masks params of requests and notifications, and error.message and error.data but not error.code", () => {
    const request = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "send", arguments: { to: "jane@example.com" } } };
    expect(mask(request, ALL).message).toEqual({ ...request, params: { name: "send", arguments: { to: "[REDACTED:email]" } } });
    const error = {
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32000, message: "no user jane@example.com", data: { email: "jane@example.com" } },
    };
    expect(mask(error, ALL).message).toEqual({
      jsonrpc: "2.0",
      id: 2,
      error: { code: -32000, message: "no user [REDACTED:email]", data: { email: "[REDACTED:email]" } },
    });
  });

  it("reports findings with the leaf's path and offsets in the original string", () => {
    const { findings } = mask(response({ content: [{ type: "text", text: "a jane@example.com b 4111111111111111" }] }), ALL);
    expect(findings).toEqual([
      { kind: "email", path: "$.result.content[0].text", start: 2, end: 18 },
      { kind: "payment-card", path: "$.result.content[0].text", start: 21, end: 37 },
    ]);
  });

  it("merges overlapping spans from several detectors into one (a JWT inside a bearer token)", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const { message, findings } = mask(response({ header: `Authorization: Bearer ${jwt}` }), ALL);
    // Same extent: the tie goes to the detector listed first (jwt, the more specific kind).
    expect(message).toEqual(response({ header: "Authorization: Bearer [REDACTED:jwt]" }));
    expect(findings).toHaveLength(1);
    // A phone number glued to a card: "2671 4111 1111 1111" happens to be Luhn-valid too; all
    // valid windows are masked, and overlapping spans become one, so no digit of either leaks.
    const glued = mask(response({ t: "+1 415 555 2671 4111 1111 1111 1111" }), ALL).message as { result: { t: string } };
    expect(glued.result.t).not.toMatch(/\d/);
  });
});

describe("maskMessage: JSON inside strings", () => {
  it("masks serialized JSON in content text as JSON and keeps its indentation", () => {
    const inner = { user: { email: "jane@example.com", password: "hunter22", plan: "pro" } };
    const { message, findings } = mask(
      response({
        content: [
          { type: "text", text: JSON.stringify(inner, null, 2) },
          { type: "text", text: JSON.stringify(inner) },
          { type: "text", text: JSON.stringify(inner, null, 4) },
        ],
      }),
      ALL,
      { keys: ["password"] },
    );
    const masked = { user: { email: "[REDACTED:email]", password: "[REDACTED:key:password]", plan: "pro" } };
    const content = (message as { result: { content: Array<{ text: string }> } }).result.content;
    expect(content[0]!.text).toBe(JSON.stringify(masked, null, 2));
    expect(content[1]!.text).toBe(JSON.stringify(masked));
    expect(content[2]!.text).toBe(JSON.stringify(masked, null, 4));
    expect(findings[0]).toEqual({ kind: "key:password", path: "$.result.content[0].text#$.user.password", start: 0, end: 8 });
    expect(findings).toContainEqual({ kind: "email", path: "$.result.content[0].text#$.user.email", start: 0, end: 16 });
  });

  it("leaves a JSON string exactly as it was when nothing in it is masked", () => {
    const text = '{ "a":1.0,\n"b" : [ 1 ] }';
    expect(mask(response({ text }), ALL).message).toEqual(response({ text }));
  });

  it("masks JSON nested twice (a string of JSON holding a string of JSON)", () => {
    const inner = JSON.stringify({ email: "jane@example.com" });
    const outer = JSON.stringify({ payload: inner });
    const result = mask(response({ text: outer }), ALL).message as { result: { text: string } };
    expect(JSON.parse(JSON.parse(result.result.text).payload)).toEqual({ email: "[REDACTED:email]" });
  });

  it("treats strings that only look like JSON as text", () => {
    const text = "[not json] jane@example.com {";
    expect(mask(response({ text }), ALL).message).toEqual(response({ text: "[not json] [REDACTED:email] {" }));
  });
});

describe("maskMessage: key rules", () => {
  it("replaces values of matching keys at any depth, comparing without case, '_' and '-'", () => {
    const { message } = mask(
      response({ apiKey: "abc", nested: { API_KEY: "def", "api-key": 12345, list: [{ ApiKey: true }] }, keep: "x" }),
      { keys: ["api_key"] },
    );
    expect(message).toEqual(
      response({
        apiKey: "[REDACTED:key:api_key]",
        nested: { API_KEY: "[REDACTED:key:api_key]", "api-key": "[REDACTED:key:api_key]", list: [{ ApiKey: "[REDACTED:key:api_key]" }] },
        keep: "x",
      }),
    );
  });

  it("replaces the string and number leaves of an object or array value, keeping booleans and null", () => {
    const { message, findings } = mask(response({ credentials: { user: "u", pin: 1234, active: true, extra: null, list: ["a", 2] } }), {
      keys: ["credentials"],
    });
    expect(message).toEqual(
      response({
        credentials: {
          user: "[REDACTED:key:credentials]",
          pin: "[REDACTED:key:credentials]",
          active: true,
          extra: null,
          list: ["[REDACTED:key:credentials]", "[REDACTED:key:credentials]"],
        },
      }),
    );
    expect(findings.map((f) => f.path).sort()).toEqual([
      "$.result.credentials.list[0]",
      "$.result.credentials.list[1]",
      "$.result.credentials.pin",
      "$.result.credentials.user",
    ]);
  });

  it('masks key: value, key=value and "key": "value" inside free text', () => {
    const text =
      'login password: hunter22 then PASSWORD=s3cret&x=1, {"password": "with \\"quote\\""} and pass_word = \'abc def\' but passwords: none';
    const { message } = mask(response({ text }), { keys: ["password"] });
    expect((message as { result: { text: string } }).result.text).toBe(
      'login password: [REDACTED:key:password] then PASSWORD=[REDACTED:key:password]&x=1, {"password": "[REDACTED:key:password]"} and pass_word = \'[REDACTED:key:password]\' but passwords: none',
    );
  });

  it("masks a selected value wherever else it appears in the message (peers)", () => {
    const { message, counts } = mask(
      response({
        config: { token: "tok-9f8e7d6c" },
        log: "connected with tok-9f8e7d6c ok",
        text: JSON.stringify({ echo: "tok-9f8e7d6c" }),
      }),
      { keys: ["token"] },
    );
    expect(message).toEqual(
      response({
        config: { token: "[REDACTED:key:token]" },
        log: "connected with [REDACTED:key:token] ok",
        text: JSON.stringify({ echo: "[REDACTED:key:token]" }),
      }),
    );
    expect(counts).toEqual({ "key:token": 3 });
  });

  it("does not chase values shorter than 4 characters", () => {
    const { message } = mask(response({ pin: "123", text: "call 123" }), { keys: ["pin"] });
    expect(message).toEqual(response({ pin: "[REDACTED:key:pin]", text: "call 123" }));
  });
});

describe("maskMessage: path rules", () => {
  it("replaces the values a JSON path selects from the message root", () => {
    const { message, findings } = mask(
      response({ structuredContent: { ssn: "078-05-1120", rows: [{ dob: "1990-01-01" }, { dob: "1985-05-05" }], other: "1990-01-01" } }),
      { paths: ["$.result.structuredContent.ssn", "$.result.structuredContent.rows[*].dob"] },
    );
    expect(message).toEqual(
      response({
        structuredContent: {
          ssn: "[REDACTED:path]",
          rows: [{ dob: "[REDACTED:path]" }, { dob: "[REDACTED:path]" }],
          other: "[REDACTED:path]",
        },
      }),
    );
    // "other" holds the same value as a selected one: masked as a peer.
    expect(findings.map((f) => f.path)).toContain("$.result.structuredContent.other");
  });

  it("never replaces the envelope even when a path selects it", () => {
    const message = { jsonrpc: "2.0", id: 1, result: { a: "x" } };
    expect(mask(message, { paths: ["$.id", "$.jsonrpc"] }).message).toEqual(message);
  });
});

describe("maskMessage: admin regexes", () => {
  it("masks matches with the rule's label", () => {
    expect(mask(response({ text: "orders ORD-123456 and ORD-654321" }), { regex: "ORD-\\d{6}", label: "order-id" }).message).toEqual(
      response({ text: "orders [REDACTED:order-id] and [REDACTED:order-id]" }),
    );
  });

  it("runs in linear time: (a+)+$ on 100 KB of 'a's returns quickly", () => {
    const started = performance.now();
    const { message } = mask(response({ text: `${"a".repeat(100_000)}!` }), { regex: "(a+)+$", label: "redos" });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(message).toEqual(response({ text: `${"a".repeat(100_000)}!` }));
  });
});

describe("maskMessage: styles", () => {
  it("partial keeps the last four characters and the separators", () => {
    const { message } = mask(
      response({ card: "4111 1111 1111 1111", email: "jane.doe@example.com", short: "abc", phone: "+1 415 555 2671" }),
      {
        detectors: ["payment-card", "email", "phone"],
        keys: ["short"],
        style: "partial",
      },
    );
    expect(message).toEqual(
      response({ card: "**** **** **** 1111", email: "****.***@******e.com", short: "***", phone: "+* *** *** 2671".replace("+", "*") }),
    );
  });

  it("hash gives the same keyed token for the same value, and a different one under another key", () => {
    const input = response({ a: "jane@example.com", b: "mail jane@example.com", c: "bob@example.com" });
    const first = mask(input, { detectors: ["email"], style: "hash" }).message as { result: Record<string, string> };
    const token = first.result.a!;
    expect(token).toMatch(/^\[HASH:email:[0-9a-f]{12}\]$/);
    expect(first.result.b).toBe(`mail ${token}`);
    expect(first.result.c).not.toBe(token);
    const again = mask(input, { detectors: ["email"], style: "hash" }).message as { result: Record<string, string> };
    expect(again.result.a).toBe(token);
    const otherKey = maskMessage(compileMask(rules({ detectors: ["email"], style: "hash" }), new Uint8Array(32).fill(2))!, input)
      .message as {
      result: Record<string, string>;
    };
    expect(otherKey.result.a).not.toBe(token);
  });

  it("the first rule that enables a detector decides its style", () => {
    expect(
      mask(response({ a: "jane@example.com" }), { detectors: ["email"], style: "partial" }, { detectors: ["email"], style: "hash" })
        .message,
    ).toEqual(response({ a: "****@******e.com" }));
  });
});

describe("maskMessage: safety", () => {
  it("returns a new object and never modifies the input", () => {
    const input = response({
      content: [{ type: "text", text: "jane@example.com" }],
      nested: { password: "x", list: [1, "4111111111111111"] },
    });
    const copy = structuredClone(input);
    const { message } = mask(input, ALL, { keys: ["password"] });
    expect(input).toEqual(copy);
    expect(message).not.toBe(input);
    const unchanged = mask(response({ plain: "nothing here" }), ALL).message as { result: unknown };
    expect(unchanged).toEqual(response({ plain: "nothing here" }));
  });

  it("keeps __proto__ as an ordinary own property", () => {
    const input = JSON.parse('{"jsonrpc":"2.0","id":1,"result":{"__proto__":{"email":"jane@example.com"},"x":1}}');
    const { message } = mask(input, ALL);
    expect(JSON.stringify(message)).toBe('{"jsonrpc":"2.0","id":1,"result":{"__proto__":{"email":"[REDACTED:email]"},"x":1}}');
    expect(Object.getPrototypeOf((message as { result: object }).result)).toBe(Object.prototype);
  });

  it("never throws on odd messages: scalars, null, batches, very deep nesting", () => {
    expect(mask("jane@example.com", ALL).message).toBe("[REDACTED:email]");
    expect(mask(null, ALL).message).toBeNull();
    expect(mask(42, ALL).message).toBe(42);
    const batch = [
      response({ a: "jane@example.com" }),
      { jsonrpc: "2.0", method: "notifications/message", params: { data: "bob@example.com" } },
    ];
    const masked = mask(batch, ALL);
    expect(masked.message).toEqual([
      response({ a: "[REDACTED:email]" }),
      { jsonrpc: "2.0", method: "notifications/message", params: { data: "[REDACTED:email]" } },
    ]);
    expect(masked.findings.map((f) => f.path)).toEqual(["$[0].result.a", "$[1].params.data"]);
    let deep: unknown = "jane@example.com";
    for (let i = 0; i < 5000; i++) deep = [deep];
    const out = JSON.stringify(mask(response(deep), ALL).message);
    expect(out).not.toContain("jane@example.com");
    expect(out).toContain("[REDACTED:too-deep]");
  });

  it("masks strings over 1 MB chunk by chunk, including a secret across a chunk boundary", () => {
    const filler = "x ".repeat(600_000); // 1.2 MB
    const boundary = 1024 * 1024 - 8; // the card straddles the end of the first chunk
    const text = `${filler.slice(0, boundary)} 4111 1111 1111 1111 ${filler.slice(boundary)} -----BEGIN PRIVATE KEY-----\n${"A".repeat(100_000)}\n-----END PRIVATE KEY----- jane@example.com`;
    const { message, counts } = mask(response({ text }), ALL);
    const out = (message as { result: { text: string } }).result.text;
    expect(out).not.toContain("4111 1111 1111 1111");
    expect(out).not.toContain("AAAAAAAA");
    expect(out).not.toContain("jane@example.com");
    expect(counts).toEqual({ "payment-card": 1, "private-key": 1, email: 1 });
  });
});

describe("maskMessage: idempotence", () => {
  it.each([
    ["redact", { detectors: ["all"] }],
    ["partial", { detectors: ["all"], style: "partial" }],
    ["hash", { detectors: ["all"], style: "hash" }],
    ["key hash", { keys: ["password", "card"], style: "hash" }],
    ["key partial", { keys: ["password", "card"], style: "partial" }],
    ["greedy regex", { regex: "[A-Z]+", label: "caps" }],
    ["digit regex partial", { regex: "\\d+", label: "digits", style: "partial" }],
  ])("masking masked output changes nothing (%s)", (_name, rule) => {
    const input = response({
      text: "Jane jane@example.com paid with 4111 1111 1111 1111 from 10.0.0.1, password=hunter22, ORDER 12345678",
      card: "5555-5555-5555-4444",
      password: "hunter22",
      nested: JSON.stringify({ password: "hunter22", note: "AKIAIOSFODNN7EXAMPLE" }, null, 2),
    });
    const once = mask(input, rule).message;
    const twice = mask(once, rule);
    expect(twice.message).toEqual(once);
  });
});
