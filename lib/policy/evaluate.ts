import { type CompiledGuardrails, compileGuardrails, decide, type GuardrailDecision, type MatchedRule } from "./guardrails.ts";
import { filterListResult, LIST_METHODS } from "./list-filter.ts";
import { type CompiledMask, compileMask, type MaskFinding, maskMessage } from "./mask.ts";
import type { GuardrailAction, MaskRule, PolicyDocument } from "./schema.ts";

// The one entry point: the gateway runs evaluateMessage on every message, and the policy
// editor's preview runs the very same function, so what the preview shows is what the gateway
// does.

export interface CompiledPolicy {
  guardrails: CompiledGuardrails;
  /** Null when neither policy has mask rules: messages are not walked at all. */
  mask: CompiledMask | null;
  /** No guardrail rules, no mask rules, default allow: every message passes untouched. */
  empty: boolean;
}

/** The policy of a connection with no rules anywhere: every message passes untouched, unwalked. */
export const emptyPolicy: CompiledPolicy = Object.freeze({ guardrails: { rules: [], defaultDeny: null }, mask: null, empty: true });

export interface CompilePolicyInput {
  global: PolicyDocument | null;
  connection: PolicyDocument | null;
  /** Key of the `hash` style's HMAC; the same key gives the same tokens across gateways and restarts. */
  hashKey: Uint8Array;
}

/**
 * Compiles globs, JSON paths and RE2 regexes once; gateways cache the result per connection and
 * recompile when either policy is saved. Throws on a rule that does not compile (documents that
 * passed policyDocumentSchema always do).
 */
export function compilePolicy(input: CompilePolicyInput): CompiledPolicy {
  if (input.hashKey.length < 16) throw new Error("The masking hash key must be at least 16 bytes.");
  const guardrails = compileGuardrails(input.global, input.connection);
  const maskRules: MaskRule[] = [];
  for (const doc of [input.global, input.connection]) for (const rule of doc?.rules ?? []) if (rule.kind === "mask") maskRules.push(rule);
  const mask = compileMask(maskRules, input.hashKey);
  return { guardrails, mask, empty: mask === null && guardrails.rules.length === 0 && guardrails.defaultDeny === null };
}

export interface EvaluateInput {
  /** request: client → upstream. response: anything upstream → client (responses, notifications, server requests). */
  direction: "request" | "response";
  message: unknown;
  /** For a response: the method of the request it answers (list results are filtered). */
  requestMethod?: string;
}

export interface PolicyResult {
  decision: GuardrailAction;
  rule?: MatchedRule;
  reason?: string;
  /** What to send on: for requests exactly what the client sent; for responses masked and filtered. */
  forward: unknown;
  /** What to store in the recording: always masked. */
  record: unknown;
  findings: MaskFinding[];
  counts: Record<string, number>;
  maskedCount: number;
  /** List items removed from a list result. */
  hidden: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isClientRequest(message: unknown): message is { method: string; id: unknown; params?: unknown } {
  return isRecord(message) && typeof message.method === "string" && Object.hasOwn(message, "id");
}

const SEVERITY: Record<GuardrailAction, number> = { allow: 0, "require-approval": 1, deny: 2 };

/** Guardrails for a request, or for each request of a batch (the most severe decision wins). */
function requestDecision(guardrails: CompiledGuardrails, message: unknown): GuardrailDecision | null {
  if (isClientRequest(message)) return decide(guardrails, { method: message.method, params: message.params });
  if (!Array.isArray(message)) return null;
  let worst: GuardrailDecision | null = null;
  for (const element of message) {
    if (!isClientRequest(element)) continue;
    const decision = decide(guardrails, { method: element.method, params: element.params });
    if (!worst || SEVERITY[decision.action] > SEVERITY[worst.action]) worst = decision;
  }
  return worst;
}

/**
 * What the policy does with one message.
 * - request: `decision` from the guardrails (JSON-RPC requests only; client notifications and
 *   responses are allowed), `forward` is the message unchanged, `record` the masked copy.
 * - response: `decision` is allow; `forward` and `record` are the masked copy, list-filtered when
 *   `requestMethod` is tools/list, prompts/list, resources/list or resources/templates/list.
 * With an empty policy the same message object comes back without being walked.
 */
export function evaluateMessage(policy: CompiledPolicy, input: EvaluateInput): PolicyResult {
  const { message } = input;
  const result: PolicyResult = {
    decision: "allow",
    forward: message,
    record: message,
    findings: [],
    counts: {},
    maskedCount: 0,
    hidden: 0,
  };
  if (policy.empty) return result;
  if (input.direction === "request") {
    const decision = requestDecision(policy.guardrails, message);
    if (decision) {
      result.decision = decision.action;
      result.reason = decision.reason;
      if (decision.rule) result.rule = decision.rule;
    }
    if (policy.mask) {
      const masked = maskMessage(policy.mask, message);
      result.record = masked.message;
      result.findings = masked.findings;
      result.counts = masked.counts;
      result.maskedCount = masked.maskedCount;
    }
    return result;
  }
  let outgoing = message;
  if (input.requestMethod !== undefined && LIST_METHODS[input.requestMethod] && isRecord(message) && isRecord(message.result)) {
    const filtered = filterListResult(policy.guardrails, input.requestMethod, message.result);
    if (filtered.hidden > 0) {
      outgoing = { ...message, result: filtered.result };
      result.hidden = filtered.hidden;
    }
  }
  if (policy.mask) {
    const masked = maskMessage(policy.mask, outgoing);
    outgoing = masked.message;
    result.findings = masked.findings;
    result.counts = masked.counts;
    result.maskedCount = masked.maskedCount;
  }
  result.forward = outgoing;
  result.record = outgoing;
  return result;
}
