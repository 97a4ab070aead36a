import { AppError } from "../errors.ts";

// Request bodies, read without trusting the client: the declared length is checked before a byte
// is read, the stream is read chunk by chunk and cancelled as soon as it passes the limit (chunked
// bodies have no declared length), and only then is the text decoded and parsed as JSON.

/** The largest body the portal API accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** POST, PUT, PATCH and DELETE: the methods that change something and may carry a body. */
export function isWriteMethod(method: string): boolean {
  return WRITE_METHODS.has(method.toUpperCase());
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `Body is larger than ${maxBytes} bytes; send at most ${maxBytes} bytes of JSON.`);
}

/** The Content-Length header as a number, or null when there is none. A malformed one is a 400. */
export function declaredLength(headers: Headers): number | null {
  const value = headers.get("content-length");
  if (value === null) return null;
  // Several Content-Length headers arrive joined by ", "; they must agree (RFC 9110 §8.6).
  const values = new Set(value.split(",").map((part) => part.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw new AppError("BAD_REQUEST", "Content-Length must be a single non-negative integer.");
  }
  return Number(only);
}

/** Whether the request says it carries a body: a positive Content-Length or a Transfer-Encoding. */
export function declaresBody(headers: Headers): boolean {
  const length = declaredLength(headers);
  return (length !== null && length > 0) || headers.has("transfer-encoding");
}

/** 413 when the declared Content-Length is over the limit, before any of the body is read. */
export function assertDeclaredLengthWithin(headers: Headers, maxBytes: number = MAX_BODY_BYTES): void {
  const length = declaredLength(headers);
  if (length !== null && length > maxBytes) throw tooLarge(maxBytes);
}

/**
 * Reads a byte stream up to `maxBytes`. Past the limit the reader is cancelled at once (the rest
 * is never pulled) and a 413 AppError is thrown; no more than `maxBytes` plus one chunk is held.
 */
export async function readBounded(stream: ReadableStream<Uint8Array> | null, maxBytes: number = MAX_BODY_BYTES): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch {
        throw new AppError("BAD_REQUEST", "The request body could not be read to the end (did the client close the connection?).");
      }
      const { done, value } = result;
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes) {
        await reader.cancel("request body too large").catch(() => undefined);
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Whether a Content-Type header names JSON: `application/json`, with an optional UTF-8 charset. */
export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const [type, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (type !== "application/json") return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split("=", 2).map((part) => part.trim().replace(/^"(.*)"$/, "$1"));
    return name !== "charset" || value === "utf-8" || value === "utf8";
  });
}

/**
 * 415 unless the request's Content-Type is JSON. With `required: false` a request that declares no
 * body and sends no Content-Type passes (a bodyless POST from curl or the CLI).
 */
export function assertJsonContentType(headers: Headers, options: { required: boolean }): void {
  const contentType = headers.get("content-type");
  if (contentType === null && !options.required) return;
  if (isJsonContentType(contentType)) return;
  throw new AppError(
    "UNSUPPORTED_MEDIA_TYPE",
    contentType === null
      ? "Content-Type is missing: send Content-Type: application/json (with {} as the body when there is nothing to send)."
      : `Content-Type ${JSON.stringify(contentType.slice(0, 100))} is not accepted: send Content-Type: application/json.`,
  );
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Parses a JSON body; undefined when it is empty or only whitespace. Bad UTF-8 or bad JSON is a 400. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new AppError("BAD_REQUEST", "Body is not valid UTF-8.");
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : "nested too deeply";
    throw new AppError("BAD_REQUEST", `Body is not valid JSON: ${reason.slice(0, 200)}`);
  }
}

/**
 * A request's JSON body, read within `maxBytes`: 413 for a declared or actual length over it,
 * 415 for a non-empty body that is not sent as application/json, 400 for bad UTF-8 or JSON.
 * An empty body gives undefined.
 */
export async function readJsonBody(
  request: { headers: Headers; body: ReadableStream<Uint8Array> | null },
  options: { maxBytes?: number } = {},
): Promise<unknown> {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  assertDeclaredLengthWithin(request.headers, maxBytes);
  const bytes = await readBounded(request.body, maxBytes);
  if (isBlank(bytes)) return undefined;
  assertJsonContentType(request.headers, { required: true });
  return parseJsonBytes(bytes);
}

/** Only JSON whitespace (or nothing). */
function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d);
}
