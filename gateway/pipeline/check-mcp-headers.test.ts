import { describe, expect, it } from "vitest";
import { checkMcpHeaders, decodeMcpHeader } from "./check-mcp-headers.ts";

const call = (name: string) => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: {} } });
const b64 = (text: string) => `=?base64?${Buffer.from(text, "utf8").toString("base64")}?=`;

describe("checkMcpHeaders (2026-07-28 Mcp-Method / Mcp-Name)", () => {
  it("accepts headers that say what the body says, and bodies without them", () => {
    expect(() => checkMcpHeaders({ "mcp-method": "tools/call", "mcp-name": "echo" }, call("echo"))).not.toThrow();
    expect(() => checkMcpHeaders({ "mcp-method": "tools/list" }, { jsonrpc: "2.0", id: 1, method: "tools/list" })).not.toThrow();
    expect(() =>
      checkMcpHeaders(
        { "mcp-method": "resources/read", "mcp-name": "file:///a" },
        { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "file:///a" } },
      ),
    ).not.toThrow();
    expect(() => checkMcpHeaders({ "mcp-method": "tools/call", "mcp-name": b64("größe") }, call("größe"))).not.toThrow();
    expect(() => checkMcpHeaders({}, call("anything"))).not.toThrow();
  });

  it("refuses a harmless name in the header over another in the body with 400 / -32020", () => {
    let error: unknown;
    try {
      checkMcpHeaders({ "mcp-method": "tools/call", "mcp-name": "read_file" }, call("delete_everything"));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ kind: "HEADER_MISMATCH", status: 400, code: -32020 });
  });

  it("refuses a wrong method, a missing name, a name on a method without one, and a batch", () => {
    expect(() => checkMcpHeaders({ "mcp-method": "tools/list" }, call("echo"))).toThrow(/Mcp-Method/);
    expect(() => checkMcpHeaders({ "mcp-method": "tools/call" }, call("echo"))).toThrow(/requires an Mcp-Name/);
    expect(() => checkMcpHeaders({ "mcp-method": "tools/list", "mcp-name": "x" }, { jsonrpc: "2.0", id: 1, method: "tools/list" })).toThrow(
      /not used/,
    );
    expect(() => checkMcpHeaders({ "mcp-method": "tools/call", "mcp-name": "echo" }, [call("echo")])).toThrow(/batch/);
  });

  it("decodes base64 values and rejects ones that are not UTF-8", () => {
    expect(decodeMcpHeader(b64("名前"))).toBe("名前");
    expect(decodeMcpHeader("=?base64?//79?=")).toBeNull();
    expect(decodeMcpHeader("plain")).toBe("plain");
  });
});
