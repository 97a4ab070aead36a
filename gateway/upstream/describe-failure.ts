import { SseError } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { WebSocketUpgradeError } from "./websocket.ts";

// Errors from the upstream, from undici (fetch) or from spawning a child can quote what they were
// given: a response body, a header value, a command line. The gateway never echoes them to the
// client or into a recording; it says what kind of failure it was, in its own words.

/** An errno-style code (`ECONNREFUSED`, `UND_ERR_SOCKET`, …) of the error or its cause, if it has one. */
function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && typeof current === "object" && depth < 4; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const NETWORK: Record<string, string> = {
  ECONNREFUSED: "it refused the connection",
  ECONNRESET: "it closed the connection",
  ENOTFOUND: "its host name does not resolve",
  EAI_AGAIN: "its host name could not be resolved",
  ETIMEDOUT: "the connection to it timed out",
  EHOSTUNREACH: "its host is unreachable",
  ENETUNREACH: "its network is unreachable",
  UND_ERR_SOCKET: "the connection to it failed",
  UND_ERR_CONNECT_TIMEOUT: "the connection to it timed out",
  UND_ERR_HEADERS_TIMEOUT: "it did not answer in time",
  UND_ERR_BODY_TIMEOUT: "it did not answer in time",
  ENOENT: "its command was not found",
  EACCES: "its command may not be run (permission denied)",
  EPIPE: "its process is gone",
};

/**
 * A short, secret-free description of why the upstream could not take a message or could not be
 * started, e.g. "it answered HTTP 401" or "it refused the connection (ECONNREFUSED)". Nothing of
 * the error's own message is included.
 */
export function describeUpstreamFailure(error: unknown): string {
  if (error instanceof StreamableHTTPError) {
    const status = typeof error.code === "number" ? error.code : -1;
    return status >= 100 && status <= 599 ? `it answered HTTP ${status}` : "it answered with a response that is not MCP";
  }
  // Legacy SSE (the SDK's SseError carries the HTTP status as a number) and WebSocket upgrades.
  if (error instanceof SseError || error instanceof WebSocketUpgradeError) {
    const status = error instanceof SseError ? error.code : error.status;
    if (typeof status === "number" && status >= 100 && status <= 599) return `it answered HTTP ${status}`;
  }
  const code = errorCode(error);
  if (code) return `${NETWORK[code] ?? "the request to it failed"} (${code})`;
  // undici refuses a request it cannot build, e.g. a stored header value it considers invalid.
  if (error instanceof TypeError && /header|ByteString/i.test(error.message)) {
    return "the request to it could not be built: a credential header value of this connection is invalid (an admin must replace it)";
  }
  if (error instanceof SyntaxError) return "it sent something that is not JSON";
  return "it could not be reached";
}
