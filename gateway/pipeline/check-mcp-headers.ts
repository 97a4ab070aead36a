import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../errors.ts";

// 2026-07-28: every POST names its method in `Mcp-Method` and, for tools/call, resources/read and
// prompts/get, the tool, resource or prompt in `Mcp-Name` (non-ASCII values as `=?base64?…?=`).
// Load balancers and proxies may route on them; the gateway never decides anything on them. A
// header that does not say what the body says is refused (400, JSON-RPC -32020), so a client
// cannot show a harmless name in the header while the body calls another.

const NAMED: Record<string, "name" | "uri"> = { "tools/call": "name", "prompts/get": "name", "resources/read": "uri" };

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
  return new GatewayError("HEADER_MISMATCH", `${what} The Mcp-Method and Mcp-Name headers must say what the body says.`);
}

/** Throws HEADER_MISMATCH when `Mcp-Method` / `Mcp-Name` disagree with the (already parsed) body. */
export function checkMcpHeaders(headers: IncomingHttpHeaders, body: unknown): void {
  const methodHeader = single(headers, "mcp-method");
  const nameHeader = single(headers, "mcp-name");
  if (methodHeader === undefined && nameHeader === undefined) return;
  if (Array.isArray(body)) throw mismatch("Mcp-Method and Mcp-Name describe one message; a batch cannot carry them.");
  const message = (body ?? {}) as { method?: unknown; params?: Record<string, unknown> };
  const method = typeof message.method === "string" ? message.method : undefined;
  if (methodHeader !== undefined) {
    const declared = decodeMcpHeader(methodHeader);
    if (declared !== method) throw mismatch(`Mcp-Method is "${declared ?? "?"}" but the body's method is "${method ?? "(none)"}".`);
  }
  const field = method ? NAMED[method] : undefined;
  if (!field) {
    if (nameHeader !== undefined) throw mismatch(`Mcp-Name is not used with ${method ?? "this message"}.`);
    return;
  }
  const actual = message.params?.[field];
  if (nameHeader === undefined) {
    // With Mcp-Method present the name is required for these methods.
    if (methodHeader !== undefined) throw mismatch(`${method} requires an Mcp-Name header.`);
    return;
  }
  if (decodeMcpHeader(nameHeader) !== actual) throw mismatch(`Mcp-Name does not match the body's params.${field}.`);
}
