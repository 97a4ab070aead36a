import { describe, expect, it } from "vitest";
import { compilePolicy, emptyPolicy, evaluateMessage } from "./evaluate.ts";
import { type PolicyDocument, type PolicyDocumentInput, policyDocumentSchema } from "./schema.ts";

const hashKey = new Uint8Array(32).fill(3);
const doc = (input: PolicyDocumentInput): PolicyDocument => policyDocumentSchema.parse(input);

const global = doc({
  rules: [
    { id: "g-del", kind: "guardrail", description: "No deletes", match: { name: "delete_*" }, action: "deny" },
    { kind: "mask", detectors: ["email"] },
  ],
});
const connection = doc({
  rules: [
    { id: "c-hold", kind: "guardrail", match: { name: "deploy" }, action: "require-approval", holdMinutes: 10 },
    { kind: "mask", keys: ["password"] },
  ],
});
const policy = compilePolicy({ global, connection, hashKey });

describe("evaluateMessage: requests", () => {
  it("decides with the guardrails, forwards exactly what the client sent and records a masked copy", () => {
    const message = {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "send", arguments: { to: "jane@example.com", password: "hunter22" } },
    };
    const result = evaluateMessage(policy, { direction: "request", message });
    expect(result.decision).toBe("allow");
    expect(result.forward).toBe(message);
    expect(result.record).toEqual({
      ...message,
      params: { name: "send", arguments: { to: "[REDACTED:email]", password: "[REDACTED:key:password]" } },
    });
    expect(result.counts).toEqual({ email: 1, "key:password": 1 });
    expect(result.maskedCount).toBe(2);
    expect(message.params.arguments.to).toBe("jane@example.com");
  });

  it("denies and holds with the rule and a reason", () => {
    const denied = evaluateMessage(policy, {
      direction: "request",
      message: { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "delete_all" } },
    });
    expect(denied).toMatchObject({
      decision: "deny",
      rule: { id: "g-del", description: "No deletes", scope: "global" },
      reason: 'Denied by policy rule "No deletes" (g-del, global policy).',
    });
    const held = evaluateMessage(policy, {
      direction: "request",
      message: { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "deploy" } },
    });
    expect(held).toMatchObject({ decision: "require-approval", rule: { id: "c-hold", scope: "connection", holdMinutes: 10 } });
  });

  it("allows client notifications and responses (guardrails judge requests only)", () => {
    const strict = compilePolicy({
      global: doc({ default: "deny", rules: [{ kind: "guardrail", match: { method: "*" }, action: "deny" }] }),
      connection: null,
      hashKey,
    });
    expect(
      evaluateMessage(strict, {
        direction: "request",
        message: { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
      }).decision,
    ).toBe("allow");
    expect(evaluateMessage(strict, { direction: "request", message: { jsonrpc: "2.0", id: 9, result: {} } }).decision).toBe("allow");
    expect(evaluateMessage(strict, { direction: "request", message: { jsonrpc: "2.0", id: 9, method: "ping" } }).decision).toBe("deny");
  });

  it("judges a batch by its most severe request", () => {
    const batch = [
      { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "search" } },
      { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "deploy" } },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "delete_x" } },
    ];
    expect(evaluateMessage(policy, { direction: "request", message: batch }).rule?.id).toBe("g-del");
    expect(evaluateMessage(policy, { direction: "request", message: batch.slice(0, 2) }).decision).toBe("require-approval");
  });
});

describe("evaluateMessage: responses", () => {
  it("masks what is forwarded and recorded, and always allows", () => {
    const message = { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "owner jane@example.com" }] } };
    const result = evaluateMessage(policy, { direction: "response", message });
    expect(result.decision).toBe("allow");
    expect(result.reason).toBeUndefined();
    expect(result.forward).toEqual({ jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "owner [REDACTED:email]" }] } });
    expect(result.record).toBe(result.forward);
  });

  it("filters list results by the request method and counts what it hid", () => {
    const message = {
      jsonrpc: "2.0",
      id: 4,
      result: { tools: [{ name: "search", description: "mail jane@example.com" }, { name: "delete_user" }, { name: "deploy" }] },
    };
    const result = evaluateMessage(policy, { direction: "response", message, requestMethod: "tools/list" });
    expect(result.hidden).toBe(1);
    expect(result.forward).toEqual({
      jsonrpc: "2.0",
      id: 4,
      result: { tools: [{ name: "search", description: "mail [REDACTED:email]" }, { name: "deploy" }] },
    });
    expect(message.result.tools).toHaveLength(3);
    // Without the request method (or for another one) nothing is filtered.
    expect(evaluateMessage(policy, { direction: "response", message }).hidden).toBe(0);
    expect(evaluateMessage(policy, { direction: "response", message, requestMethod: "tools/call" }).hidden).toBe(0);
  });

  it("masks server notifications and server-to-client requests", () => {
    const notification = { jsonrpc: "2.0", method: "notifications/message", params: { level: "info", data: "login by jane@example.com" } };
    expect(evaluateMessage(policy, { direction: "response", message: notification }).forward).toEqual({
      ...notification,
      params: { level: "info", data: "login by [REDACTED:email]" },
    });
  });
});

describe("evaluateMessage: fast paths", () => {
  it("an empty policy returns the very same message without walking it", () => {
    const empty = compilePolicy({ global: null, connection: doc({ default: "allow", rules: [] }), hashKey });
    expect(empty.empty).toBe(true);
    const message = { jsonrpc: "2.0", id: 1, result: { text: "jane@example.com" } };
    for (const [direction, compiled] of [
      ["request", empty],
      ["response", empty],
      ["response", emptyPolicy],
    ] as const) {
      const result = evaluateMessage(compiled, { direction, message, requestMethod: "tools/list" });
      expect(result.forward).toBe(message);
      expect(result.record).toBe(message);
      expect(result).toMatchObject({ decision: "allow", findings: [], counts: {}, maskedCount: 0, hidden: 0 });
    }
  });

  it("guardrails without mask rules record the message as it is", () => {
    const guardOnly = compilePolicy({
      global: doc({ rules: [{ kind: "guardrail", match: { name: "x" }, action: "deny" }] }),
      connection: null,
      hashKey,
    });
    expect(guardOnly.mask).toBeNull();
    const message = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "y", arguments: { email: "jane@example.com" } } };
    const result = evaluateMessage(guardOnly, { direction: "request", message });
    expect(result.record).toBe(message);
    expect(result.forward).toBe(message);
  });
});

describe("compilePolicy", () => {
  it("refuses a hash key shorter than 16 bytes", () => {
    expect(() => compilePolicy({ global: null, connection: null, hashKey: new Uint8Array(8) })).toThrow("at least 16 bytes");
  });

  it("compiles rules without ids, naming them by position in reasons", () => {
    const compiled = compilePolicy({
      global: null,
      connection: doc({
        rules: [
          { kind: "mask", keys: ["a"] },
          { kind: "guardrail", match: { name: "x" }, action: "deny" },
        ],
      }),
      hashKey,
    });
    const result = evaluateMessage(compiled, {
      direction: "request",
      message: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "x" } },
    });
    expect(result.rule).toEqual({ id: "#2", scope: "connection" });
    expect(result.reason).toBe("Denied by policy rule #2 (connection policy).");
  });
});
