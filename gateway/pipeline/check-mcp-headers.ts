import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../errors.ts";

// 2026-07-28: every POST names its method in `Mcp-Method` and, for tools/call, resources/read and
// prompts/get, the tool, resource or prompt in `Mcp-Name` (non-ASCII values as `=?base64?…?=`).
// Load balancers and proxies may route on them; the gateway never decides anything on them. A
// header that does not say what the body says is refused (400, JSON-RPC -32020), so a client
// cannot show a harmless name in the header while the body calls another.
// Tools may also mark arguments (`x-mcp-header: "Region"` in a property of their inputSchema) to be
// mirrored as `Mcp-Param-Region` headers. Which ones a tool marks is learnt from the tools/list
// answers the client was sent (ParamHeaders); a header naming an argument the tool does not mark,
// or saying another value than the body, is refused the same way, and so is a 2026-07-28 request
// (one with Mcp-Method) that leaves out a marked argument's header. For a tool not seen in a
// tools/list answer yet, Mcp-Param headers cannot be checked: they are ignored (never forwarded —
// the upstream gets headers derived from the body — and never used for any decision).

const NAMED: Record<string, "name" | "uri"> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };

/** A header value: as is when plain printable ASCII, else `=?base64?…?=` (2026-07-28). */
export function encodeMcpHeader(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) && value.trim() === value ? value : `=?base64?${Buffer.from(value, "utf8").toString("base64")}?=`;
}

/** A header value as sent: plain, or `=?base64?<base64>?=` for values that are not plain ASCII. */
export function decodeMcpHeader(value: string): string | null {
  const encoded = /^=\?base64\?([A-Za-z0-9+/=_-]*)\?=$/i.exec(value.trim());
  if (!encoded) return value.trim();
  const text = Buffer.from(encoded[1]!, "base64").toString("utf8");
  // A value that does not decode to valid UTF-8 cannot match anything.
  return text.includes("\uFFFD") ? null : text;
}

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function mismatch(what: string): GatewayError {
  return new GatewayError("HEADER_MISMATCH", `${what} The Mcp-Method, Mcp-Name and Mcp-Param-* headers must say what the body says.`);
}

/** Per tool: lower-case `Mcp-Param-` suffix → the argument it mirrors (a tool that marks none maps to an empty map). */
export type ParamHeaders = Map<string, Map<string, string>>;

/** Tools remembered per session; a tools/list answer with more is not learnt past this. */
const MAX_TOOLS = 2000;
/** Header values longer than this are left out by clients, so they are not required. */
const MAX_PARAM_VALUE = 8192;
const PARAM_PREFIX = "mcp-param-";

/** Learns which arguments each tool of a tools/list result mirrors into headers (`x-mcp-header`). */
export function learnParamHeaders(into: ParamHeaders, result: unknown): void {
  const tools = (result as { tools?: unknown } | null | undefined)?.tools;
  if (!Array.isArray(tools)) return;
  for (const tool of tools as Array<{ name?: unknown; inputSchema?: { properties?: unknown } } | null>) {
    if (typeof tool?.name !== "string" || (into.size >= MAX_TOOLS && !into.has(tool.name))) continue;
    const marks = new Map<string, string>();
    const properties = tool.inputSchema?.properties;
    if (properties && typeof properties === "object") {
      for (const [argument, schema] of Object.entries(properties as Record<string, { "x-mcp-header"?: unknown } | null>)) {
        const header = schema?.["x-mcp-header"];
        // Visible ASCII without ':' (the spec's constraint on the name).
        if (typeof header === "string" && /^[\x21-\x39\x3b-\x7e]+$/.test(header)) marks.set(header.toLowerCase(), argument);
      }
    }
    into.set(tool.name, marks);
  }
}

/** An argument's header form: strings as they are, numbers in decimal, booleans lower-case; null for anything else. */
export function paramHeaderText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return null;
}

/** The `Mcp-Param-*` headers of a request (lower-case suffix → value). */
function paramHeadersIn(headers: IncomingHttpHeaders): Map<string, string> {
  const found = new Map<string, string>();
  for (const name of Object.keys(headers)) {
    if (name.startsWith(PARAM_PREFIX)) found.set(name.slice(PARAM_PREFIX.length), single(headers, name) ?? "");
  }
  return found;
}

/** Checks `Mcp-Param-*` against the tool call's arguments, when the tool's marks are known. */
function checkParamHeaders(
  params: Map<string, string>,
  message: { method?: unknown; params?: Record<string, unknown> },
  strict: boolean,
  known: ParamHeaders | undefined,
): void {
  if (params.size === 0 && !strict) return;
  if (message.method !== "tools/call") {
    if (params.size > 0) throw mismatch(`Mcp-Param-* headers go with tools/call only, not ${String(message.method ?? "this message")}.`);
    return;
  }
  const tool = message.params?.name;
  const marks = typeof tool === "string" ? known?.get(tool) : undefined;
  // Not in any tools/list answer this session saw: nothing to check against (and nothing uses the headers).
  if (!marks) return;
  const args = (message.params?.arguments ?? {}) as Record<string, unknown>;
  for (const [suffix, value] of params) {
    const argument = marks.get(suffix);
    if (argument === undefined) throw mismatch(`Mcp-Param-${suffix} is not an argument tool "${String(tool)}" mirrors into a header.`);
    const expected = paramHeaderText(args[argument]);
    if (expected === null || decodeMcpHeader(value) !== expected) {
      throw mismatch(`Mcp-Param-${suffix} does not match the body's arguments.${argument}.`);
    }
  }
  if (!strict) return;
  for (const [suffix, argument] of marks) {
    const expected = paramHeaderText(args[argument]);
    if (expected !== null && !params.has(suffix) && encodeMcpHeader(expected).length <= MAX_PARAM_VALUE) {
      throw mismatch(`tools/call "${String(tool)}" requires an Mcp-Param-${suffix} header for arguments.${argument}.`);
    }
  }
}

/**
 * Throws HEADER_MISMATCH when `Mcp-Method` / `Mcp-Name` / `Mcp-Param-*` disagree with the (already
 * parsed) body. `paramHeaders`: the tools' marks this session learnt (absent: Mcp-Param-* not checked).
 */
export function checkMcpHeaders(headers: IncomingHttpHeaders, body: unknown, paramHeaders?: ParamHeaders): void {
  const methodHeader = single(headers, "mcp-method");
  const nameHeader = single(headers, "mcp-name");
  const params = paramHeadersIn(headers);
  if (methodHeader === undefined && nameHeader === undefined && params.size === 0) return;
  if (Array.isArray(body)) throw mismatch("Mcp-Method, Mcp-Name and Mcp-Param-* describe one message; a batch cannot carry them.");
  const message = (body ?? {}) as { method?: unknown; params?: Record<string, unknown> };
  const method = typeof message.method === "string" ? message.method : undefined;
  if (methodHeader !== undefined) {
    const declared = decodeMcpHeader(methodHeader);
    if (declared !== method) throw mismatch(`Mcp-Method is "${declared ?? "?"}" but the body's method is "${method ?? "(none)"}".`);
  }
  const field = method ? NAMED[method] : undefined;
  if (!field) {
    if (nameHeader !== undefined) throw mismatch(`Mcp-Name is not used with ${method ?? "this message"}.`);
  } else if (nameHeader === undefined) {
    // With Mcp-Method present the name is required for these methods.
    if (methodHeader !== undefined) throw mismatch(`${method} requires an Mcp-Name header.`);
  } else if (decodeMcpHeader(nameHeader) !== message.params?.[field]) {
    throw mismatch(`Mcp-Name does not match the body's params.${field}.`);
  }
  // A client that sends Mcp-Method speaks 2026-07-28 and must mirror every marked argument.
  checkParamHeaders(params, message, methodHeader !== undefined, paramHeaders);
}

const META_VERSION = "io.modelcontextprotocol/protocolVersion";

/**
 * The checks of a sessionless (2026-07-28+) request beyond `checkMcpHeaders`: the spec makes
 * `Mcp-Method` required on every request and `MCP-Protocol-Version` equal to the `_meta` version.
 * The gateway checks both itself: the upstream is sent headers derived from the body, so it could
 * not see a mismatch the client made.
 */
export function checkSessionlessHeaders(headers: IncomingHttpHeaders, body: unknown): void {
  if (Array.isArray(body)) return; // refused as a batch by checkMcpHeaders when it has headers; 2026-07-28 has none
  const message = (body ?? {}) as { id?: unknown; method?: unknown; params?: { _meta?: Record<string, unknown> } };
  const version = single(headers, "mcp-protocol-version");
  const meta = message.params?._meta?.[META_VERSION];
  if (version !== undefined && typeof meta === "string" && version.trim() !== meta) {
    throw mismatch(`MCP-Protocol-Version is "${version}" but the body's _meta says "${meta}".`);
  }
  // Notifications have no header requirements in 2026-07-28; requests need Mcp-Method.
  if (message.id !== undefined && typeof message.method === "string" && single(headers, "mcp-method") === undefined) {
    throw mismatch(`${message.method} requires an Mcp-Method header.`);
  }
}
