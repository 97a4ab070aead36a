import { describe, expect, it } from "vitest";
import { describeMessage } from "./describe-message.ts";

describe("describeMessage", () => {
  it("indexes a tools/call request by tool name", () => {
    expect(describeMessage({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "echo", arguments: {} } })).toEqual({
      kind: "request",
      rpcId: "7",
      method: "tools/call",
      tool: "echo",
    });
  });
  it("tells notifications, results and errors apart", () => {
    expect(describeMessage({ jsonrpc: "2.0", method: "notifications/initialized" }).kind).toBe("notification");
    expect(describeMessage({ jsonrpc: "2.0", id: "a", result: {} }).kind).toBe("response");
    expect(describeMessage({ jsonrpc: "2.0", id: "a", error: { code: 1, message: "x" } }).kind).toBe("error");
    expect(describeMessage("nonsense").kind).toBe("invalid");
  });
});
