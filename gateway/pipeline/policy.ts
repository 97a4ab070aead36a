import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { evaluateMessage, type MatchedRule } from "../../lib/policy/index.ts";
import type { RecordAnnotations } from "../../lib/recording/session-recorder.ts";
import { GatewayError } from "../errors.ts";
import { type PolicyCache, PolicyUnavailableError } from "../policy-cache.ts";

// The policy step of the pipeline, both ways. The gateway and the editor's preview call the same
// evaluateMessage; this module only turns its result into what the session does next.

export interface Passed {
  ok: true;
  hold?: undefined;
  /** What to send on: a client request unchanged, an upstream message masked (and list-filtered). */
  forward: JSONRPCMessage;
  /** What the recording stores: always the masked copy. */
  record: unknown;
  annotations: RecordAnnotations;
}
export interface Stopped {
  ok: false;
  hold?: undefined;
  error: GatewayError;
  /** What to record of the stopped message (masked), or undefined when even that is unsafe. */
  record?: unknown;
  annotations: RecordAnnotations;
  /** For the log only: an engine failure's own message may quote parts of the message. */
  cause?: unknown;
}
/**
 * A require-approval rule matched: the session holds the request until an approver decides. It is
 * `ok: false` so that code unaware of holds refuses it (with `error`) rather than forwarding it.
 */
export interface Held {
  ok: false;
  hold: { rule: MatchedRule; reason: string };
  /** The refusal when the call cannot be held (no hold service, not a request). */
  error: GatewayError;
  /** The message to forward once approved: exactly what the client sent. */
  forward: JSONRPCMessage;
  record: unknown;
  annotations: RecordAnnotations;
  cause?: undefined;
}

const isClientRequest = (message: JSONRPCMessage) => "method" in message && "id" in message;

/** Client → upstream: guardrails decide; the recording gets a masked copy. */
export function checkClientMessage(policies: PolicyCache, connectionId: string, message: JSONRPCMessage): Passed | Stopped | Held {
  let result: ReturnType<typeof evaluateMessage>;
  try {
    result = evaluateMessage(policies.current(connectionId), { direction: "request", message });
  } catch (error) {
    return { ok: false, error: unavailable(error), annotations: {}, cause: error };
  }
  const annotations: RecordAnnotations = { decision: isClientRequest(message) ? result.decision : null, masked: result.counts };
  if (result.decision === "deny") {
    return {
      ok: false,
      error: new GatewayError("POLICY_DENIED", result.reason ?? "Denied by policy."),
      record: result.record,
      annotations,
    };
  }
  if (result.decision === "require-approval") {
    const reason = result.reason ?? "This call needs a human approval.";
    return {
      ok: false,
      hold: { rule: result.rule ?? { id: "default", scope: "global" }, reason },
      error: new GatewayError("APPROVAL_REQUIRED", `${reason} It could not be held for approval, so it was not forwarded.`),
      forward: result.forward as JSONRPCMessage,
      record: result.record,
      annotations,
    };
  }
  return { ok: true, forward: result.forward as JSONRPCMessage, record: result.record, annotations };
}

/** Upstream → client: mask (and filter lists); if masking fails the message is withheld (fail closed). */
export function checkUpstreamMessage(
  policies: PolicyCache,
  connectionId: string,
  message: JSONRPCMessage,
  requestMethod: string | undefined,
): Passed | Stopped {
  try {
    const result = evaluateMessage(policies.current(connectionId), { direction: "response", message, requestMethod });
    return { ok: true, forward: result.forward as JSONRPCMessage, record: result.record, annotations: { masked: result.counts } };
  } catch (error) {
    return {
      ok: false,
      error: new GatewayError(
        "MESSAGE_WITHHELD",
        "The upstream's answer was withheld: the connection's masking rules could not be applied to it, and it is never sent unmasked.",
      ),
      annotations: {},
      cause: error,
    };
  }
}

function unavailable(error: unknown): GatewayError {
  // The cache's own errors are written for the caller; anything else stays in the log.
  const known = error instanceof PolicyUnavailableError ? `${error.message} ` : "The connection's policy could not be applied. ";
  return new GatewayError("POLICY_UNAVAILABLE", `${known}The call was not forwarded; try again shortly or ask an admin.`);
}
