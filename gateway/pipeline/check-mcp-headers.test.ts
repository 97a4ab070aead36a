import { describe, expect, it } from "vitest";
import { checkMcpHeaders, checkSessionlessHeaders, decodeMcpHeader, learnParamHeaders, type ParamHeaders } from "./check-mcp-headers.ts";

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

describe("checkMcpHeaders (Mcp-Param-*)", () => {
  const known: ParamHeaders = new Map();
  learnParamHeaders(known, {
    tools: [
      {
        name: "query",
        inputSchema: {
          properties: {
            region: { type: "string", "x-mcp-header": "Region" },
            limit: { type: "number", "x-mcp-header": "Limit" },
            dry: { type: "boolean", "x-mcp-header": "Dry" },
            bad: { type: "string", "x-mcp-header": "has space" },
          },
        },
      },
      { name: "plain", inputSchema: { properties: { a: { type: "string" } } } },
    ],
  });
  const query = (args: Record<string, unknown>) => ({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "query", arguments: args },
  });
  const headers = { "mcp-method": "tools/call", "mcp-name": "query" };

  it("learns marks from tools/list (valid header names only) and accepts matching values of every primitive type", () => {
    expect([...known.get("query")!.keys()]).toEqual(["region", "limit", "dry"]);
    expect(known.get("plain")!.size).toBe(0);
    const args = { region: " padded ", limit: 3.5, dry: false };
    const full = { ...headers, "mcp-param-region": b64(" padded "), "mcp-param-limit": "3.5", "mcp-param-dry": "false" };
    expect(() => checkMcpHeaders(full, query(args), known)).not.toThrow();
    // Without Mcp-Method (a 2025-11-25 client) nothing is required; what is sent is still checked.
    expect(() => checkMcpHeaders({}, query(args), known)).not.toThrow();
    expect(() => checkMcpHeaders({ "mcp-param-limit": "4" }, query(args), known)).toThrow(/Mcp-Param-limit does not match/);
  });

  it("refuses a mismatch, an unmarked argument, a missing header, and Mcp-Param on other methods", () => {
    const args = { region: "us", limit: 1, dry: true };
    const full = { ...headers, "mcp-param-region": "us", "mcp-param-limit": "1", "mcp-param-dry": "true" };
    expect(() => checkMcpHeaders(full, query(args), known)).not.toThrow();
    expect(() => checkMcpHeaders({ ...full, "mcp-param-region": "eu" }, query(args), known)).toThrow(/does not match/);
    expect(() => checkMcpHeaders({ ...full, "mcp-param-sql": "x" }, query(args), known)).toThrow(/not an argument/);
    const { "mcp-param-dry": _, ...missing } = full;
    expect(() => checkMcpHeaders(missing, query(args), known)).toThrow(/requires an Mcp-Param-dry/);
    expect(() => checkMcpHeaders({ "mcp-param-x": "1" }, { jsonrpc: "2.0", id: 1, method: "tools/list" }, known)).toThrow(
      /tools\/call only/,
    );
    // A tool no tools/list answer showed: not checkable, so not refused.
    const unknown = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "other", arguments: {} } };
    expect(() => checkMcpHeaders({ "mcp-method": "tools/call", "mcp-name": "other", "mcp-param-x": "1" }, unknown, known)).not.toThrow();
  });
});

describe("checkSessionlessHeaders (2026-07-28 Server Validation)", () => {
  const list = (version: string) => ({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/list",
    params: { _meta: { "io.modelcontextprotocol/protocolVersion": version } },
  });

  it("accepts a request whose headers say its method and the version its _meta names", () => {
    expect(() =>
      checkSessionlessHeaders({ "mcp-method": "tools/list", "mcp-protocol-version": "2026-07-28" }, list("2026-07-28")),
    ).not.toThrow();
    // A notification has no header requirements in 2026-07-28.
    expect(() => checkSessionlessHeaders({}, { jsonrpc: "2.0", method: "notifications/progress" })).not.toThrow();
  });

  it("refuses a request without Mcp-Method, or whose MCP-Protocol-Version differs from its _meta version, with 400 / -32020", () => {
    expect(() => checkSessionlessHeaders({ "mcp-protocol-version": "2026-07-28" }, list("2026-07-28"))).toThrow(/requires an Mcp-Method/);
    let error: unknown;
    try {
      checkSessionlessHeaders({ "mcp-method": "tools/list", "mcp-protocol-version": "2026-07-28" }, list("2099-01-01"));
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      kind: "HEADER_MISMATCH",
      status: 400,
      code: -32020,
      message: expect.stringMatching(/MCP-Protocol-Version/),
    });
  });
});
