// Every error the gateway answers with is built here: an HTTP status plus a JSON-RPC error whose
// message tells a person what to do. Codes sit in JSON-RPC's implementation-defined server-error range
// (-32000…-32099), avoiding the codes MCP itself defines there (-32002 resource not found, -32020
// header/body mismatch, -32042 URL elicitation required).

export const GATEWAY_ERRORS = {
  PARSE_ERROR: { status: 400, code: -32700 },
  INVALID_REQUEST: { status: 400, code: -32600 },
  SESSION_NOT_FOUND: { status: 404, code: -32001 },
  UNAUTHENTICATED: { status: 401, code: -32011 },
  WRONG_CONNECTION: { status: 403, code: -32012 },
  GRANT_EXPIRED: { status: 403, code: -32013 },
  GRANT_REVOKED: { status: 403, code: -32014 },
  UNKNOWN_CONNECTION: { status: 404, code: -32015 },
  RECORDING_UNAVAILABLE: { status: 503, code: -32016 },
  DATABASE_UNAVAILABLE: { status: 503, code: -32010 },
  UPSTREAM_UNAVAILABLE: { status: 502, code: -32017 },
  UPSTREAM_TIMEOUT: { status: 504, code: -32009 },
  PAYLOAD_TOO_LARGE: { status: 413, code: -32018 },
  FORBIDDEN_ORIGIN: { status: 403, code: -32019 },
  METHOD_NOT_ALLOWED: { status: 405, code: -32000 },
  /** A guardrail rule (or the policy's default) denies the call; it never reached the upstream. */
  POLICY_DENIED: { status: 403, code: -32003 },
  /** A require-approval rule matched; the call was not forwarded. */
  APPROVAL_REQUIRED: { status: 403, code: -32004 },
  /** The connection's policy could not be loaded or applied, so nothing is let through. */
  POLICY_UNAVAILABLE: { status: 503, code: -32005 },
  /** Masking failed on an upstream message; it was withheld rather than sent unmasked. */
  MESSAGE_WITHHELD: { status: 502, code: -32006 },
  /** A held call was denied by an approver; the message names them and their comment. */
  APPROVAL_DENIED: { status: 403, code: -32030 },
  /** Nobody decided on a held call before its deadline; it was not forwarded. */
  APPROVAL_TIMEOUT: { status: 504, code: -32031 },
  /** A held call ended without a usable approval (cancelled, session ended, abandoned, approval not matching). */
  HOLD_ENDED: { status: 409, code: -32032 },
  /**
   * A resource cap was reached (sessions per grant, per user or per gateway, stdio children, open
   * connections); `data.limit` names it and `data.max` gives its value.
   */
  LIMIT_REACHED: { status: 429, code: -32007 },
  /** The request body did not arrive within the body-read timeout; the connection is closed. */
  BODY_TIMEOUT: { status: 408, code: -32008 },
  /** 2026-07-28: an `Mcp-Method` / `Mcp-Name` header does not say what the body says (MCP's HeaderMismatch). */
  HEADER_MISMATCH: { status: 400, code: -32020 },
  /** A service account's JWT cannot be checked: its issuer's discovery document or keys cannot be fetched. */
  IDP_UNAVAILABLE: { status: 503, code: -32033 },
  INTERNAL: { status: 500, code: -32603 },
} as const;

export type GatewayErrorKind = keyof typeof GATEWAY_ERRORS;

export class GatewayError extends Error {
  /** The JSON-RPC id of the request refused, when its body was read (2026-07-28: every error carries it). */
  rpcId: JsonRpcId | undefined;

  constructor(
    readonly kind: GatewayErrorKind,
    message: string,
    /** Extra machine-readable details for `error.data`, next to `reason` (e.g. which limit). */
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "GatewayError";
  }
  get status(): number {
    return GATEWAY_ERRORS[this.kind].status;
  }
  get code(): number {
    return GATEWAY_ERRORS[this.kind].code;
  }
}

export type JsonRpcId = string | number | null;

export function jsonRpcError(id: JsonRpcId, code: number, message: string, data?: Record<string, unknown>) {
  return { jsonrpc: "2.0" as const, id, error: { code, message, ...(data ? { data } : {}) } };
}

export function errorBody(error: GatewayError, id: JsonRpcId = error.rpcId ?? null) {
  return jsonRpcError(id, error.code, error.message, { reason: error.kind, ...error.data });
}
