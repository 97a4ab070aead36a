import type { IncomingMessage } from "node:http";
import { GatewayError } from "../errors.ts";

// Bounds on what a client may send: size is checked while reading, depth after parsing. Both are
// explicit so a hostile body gets a clear error instead of exhausting memory or the stack.

export const MAX_JSON_DEPTH = 64;

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    throw new GatewayError("PAYLOAD_TOO_LARGE", `Request body is ${declared} bytes; the gateway accepts at most ${maxBytes}.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      req.resume();
      throw new GatewayError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes.`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function depthOf(value: unknown, limit: number): number {
  // Iterative, so a deeply nested body cannot overflow the stack while being measured.
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth > max) max = depth;
    if (max > limit) return max;
    for (const child of Object.values(item as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return max;
}

function isJsonRpcMessage(value: unknown): boolean {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== "2.0") return false;
  if ("method" in message) return typeof message.method === "string";
  return "id" in message && ("result" in message || "error" in message);
}

/** Parses and bounds a POST body: one JSON-RPC message, or (2025-03-26) a non-empty batch. */
export function parseJsonRpcBody(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new GatewayError("PARSE_ERROR", "Body is not valid JSON; send one JSON-RPC 2.0 message.");
  }
  if (depthOf(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw new GatewayError("INVALID_REQUEST", `JSON nesting is deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  const messages = Array.isArray(parsed) ? parsed : [parsed];
  if (messages.length === 0 || !messages.every(isJsonRpcMessage)) {
    throw new GatewayError(
      "INVALID_REQUEST",
      'Body must be a JSON-RPC 2.0 message: {"jsonrpc":"2.0", "method": …} or a response with "id".',
    );
  }
  return parsed;
}
