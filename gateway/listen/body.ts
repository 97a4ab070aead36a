import type { IncomingMessage } from "node:http";
import { GatewayError } from "../errors.ts";

// Bounds on what a client may send: size is checked while reading, time from the request's start,
// depth after parsing. Each is explicit, so a hostile body gets a clear error instead of exhausting
// memory, connections or the stack.

export const MAX_JSON_DEPTH = 64;

/** The refusal for a body that did not arrive in time. */
export function bodyTimeoutError(ms: number): GatewayError {
  return new GatewayError(
    "BODY_TIMEOUT",
    `The request body did not arrive within ${ms / 1000} s, so the gateway closed the connection. Send the whole body at once.`,
  );
}

/** A request's body clock: whether it ran out, and who to tell (the reader, if one is reading). */
interface BodyClock {
  expired: GatewayError | null;
  onExpire: ((error: GatewayError) => void) | null;
}
const clocks = new WeakMap<IncomingMessage, BodyClock>();

/**
 * Starts the clock on a request's body: the whole request must have arrived within `ms` of its
 * start, authenticated or not, so a client cannot hold a connection by dripping a body. When time
 * runs out, `readBody` fails with `BODY_TIMEOUT`; if nobody is reading the body, `refuse` is called.
 */
export function guardBody(req: IncomingMessage, ms: number, refuse: (error: GatewayError) => void): void {
  const clock: BodyClock = { expired: null, onExpire: null };
  clocks.set(req, clock);
  const timer = setTimeout(() => {
    if (req.complete) return;
    clock.expired = bodyTimeoutError(ms);
    if (clock.onExpire) clock.onExpire(clock.expired);
    else refuse(clock.expired);
  }, ms);
  timer.unref();
  const stop = () => clearTimeout(timer);
  req.once("end", stop);
  req.once("close", stop);
}

/** Reads a request body up to `maxBytes`, within the time `guardBody` allows (when it was started). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume();
    return Promise.reject(
      new GatewayError("PAYLOAD_TOO_LARGE", `Request body is ${declared} bytes; the gateway accepts at most ${maxBytes}.`),
    );
  }
  const clock = clocks.get(req);
  if (clock?.expired) return Promise.reject(clock.expired);
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onCutOff);
      req.off("close", onClose);
      if (clock) clock.onExpire = null;
    };
    const fail = (error: GatewayError) => {
      cleanup();
      // Whatever still arrives is discarded; the error response closes the connection.
      req.resume();
      reject(error);
    };
    function onData(chunk: Buffer) {
      size += chunk.length;
      if (size > maxBytes) return fail(new GatewayError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes.`));
      chunks.push(chunk);
    }
    function onEnd() {
      cleanup();
      resolve(Buffer.concat(chunks).toString("utf8"));
    }
    function onCutOff() {
      fail(new GatewayError("INVALID_REQUEST", "The request body was cut off before it ended."));
    }
    function onClose() {
      if (!req.complete) onCutOff();
    }
    if (clock) clock.onExpire = fail;
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onCutOff);
    req.once("close", onClose);
  });
}

/** The id of a single JSON-RPC request, for refusals of it; null otherwise (a batch, a notification, no body). */
export function requestIdOf(body: unknown): string | number | null {
  if (!body || typeof body !== "object" || Array.isArray(body) || !("method" in body)) return null;
  const id = (body as { id?: unknown }).id;
  return typeof id === "string" || typeof id === "number" ? id : null;
}

/** Bodies up to this size are read to name the request in a refusal decided before the body was read. */
export const PEEK_BYTES = 64 * 1024;
const PEEK_MS = 1000;

/**
 * The JSON-RPC id of a request refused before its body was read (401, 403, 404, 429): the body is
 * read only when it is small (`PEEK_BYTES`) and arrives at once (`PEEK_MS`), so a refused caller
 * costs the gateway little; otherwise null, and the refusal closes the connection.
 */
export async function peekRequestId(
  req: IncomingMessage,
  options: { maxBytes?: number; ms?: number } = {},
): Promise<string | number | null> {
  const maxBytes = options.maxBytes ?? PEEK_BYTES;
  if (req.method !== "POST" || req.readableEnded || req.destroyed) return null;
  const declared = req.headers["content-length"];
  if (declared !== undefined && !(Number(declared) <= maxBytes)) return null;
  let timer: NodeJS.Timeout | undefined;
  const text = await Promise.race([
    readBody(req, maxBytes).catch(() => null),
    new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), options.ms ?? PEEK_MS);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
  if (text === null) return null;
  try {
    return requestIdOf(JSON.parse(text));
  } catch {
    return null;
  }
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
