import { describe, expect, it } from "vitest";
import { parseJsonRpcBody } from "./body.ts";

describe("parseJsonRpcBody", () => {
  it("accepts requests, notifications, responses and batches", () => {
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')).toMatchObject({ method: "tools/list" });
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toBeTruthy();
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"result":{}}')).toBeTruthy();
    expect(parseJsonRpcBody('[{"jsonrpc":"2.0","id":1,"method":"ping"}]')).toHaveLength(1);
  });

  it("rejects what is not JSON-RPC with a message that says what to send", () => {
    expect(() => parseJsonRpcBody("{nope")).toThrow(/not valid JSON/);
    expect(() => parseJsonRpcBody('{"id":1,"method":"x"}')).toThrow(/JSON-RPC 2.0/);
    expect(() => parseJsonRpcBody("[]")).toThrow(/JSON-RPC 2.0/);
    expect(() => parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":5}')).toThrow(/JSON-RPC 2.0/);
  });

  it("bounds nesting depth without blowing the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(() => parseJsonRpcBody(`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":${deep}}}`)).toThrow(/deeper than 64/);
  });
});
