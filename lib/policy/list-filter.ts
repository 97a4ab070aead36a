import { type CompiledGuardrails, decide, type GuardrailDecision } from "./guardrails.ts";
import type { GuardrailAction } from "./schema.ts";

// `tools/list` (and the other lists) only show what the caller may use: an item is hidden when
// using it would be denied whatever its arguments. Rules with argument matchers depend on
// arguments nobody has sent yet: they never hide an item, and one that allows keeps its item
// listed (see DecideOptions.withoutArguments). Items that need approval stay visible — they can be
// used, after a wait.

interface ListKind {
  /** The array in the result. */
  field: string;
  /** The property of each item that is its name. */
  nameField: string;
  /** The request that would use an item. */
  useMethod: string;
  /** Where that request carries the name. */
  param: "name" | "uri";
}

export const LIST_METHODS: Readonly<Record<string, ListKind>> = {
  "tools/list": { field: "tools", nameField: "name", useMethod: "tools/call", param: "name" },
  "prompts/list": { field: "prompts", nameField: "name", useMethod: "prompts/get", param: "name" },
  "resources/list": { field: "resources", nameField: "uri", useMethod: "resources/read", param: "uri" },
  "resources/templates/list": { field: "resourceTemplates", nameField: "uriTemplate", useMethod: "resources/read", param: "uri" },
};

type GuardrailsLike = CompiledGuardrails | { guardrails: CompiledGuardrails };

function guardrailsOf(policy: GuardrailsLike): CompiledGuardrails {
  return "guardrails" in policy ? policy.guardrails : policy;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Removes the items of a list result whose use the policy denies. Never modifies `result`; returns
 * it as it is when nothing is hidden or it is not a list result it knows.
 */
export function filterListResult(policy: GuardrailsLike, requestMethod: string, result: unknown): { result: unknown; hidden: number } {
  const kind = LIST_METHODS[requestMethod];
  if (!kind || !isRecord(result)) return { result, hidden: 0 };
  const items = result[kind.field];
  if (!Array.isArray(items)) return { result, hidden: 0 };
  const guardrails = guardrailsOf(policy);
  const kept = items.filter((item) => {
    const name = isRecord(item) ? item[kind.nameField] : undefined;
    // An item without a usable name cannot be judged here; using it is still checked.
    if (typeof name !== "string") return true;
    const decision = decide(guardrails, { method: kind.useMethod, params: { [kind.param]: name } }, { withoutArguments: true });
    return decision.action !== "deny";
  });
  const hidden = items.length - kept.length;
  if (hidden === 0) return { result, hidden: 0 };
  return { result: { ...result, [kind.field]: kept }, hidden };
}

export interface ToolAccess {
  name: string;
  action: GuardrailAction;
  /** Some argument-dependent rule names this tool: certain calls may be denied or held anyway. */
  conditional: boolean;
  reason: string;
  rule?: GuardrailDecision["rule"];
}

/**
 * For the catalog: which of these tools the policy denies, holds for approval or allows, judged
 * without arguments (as list filtering does), plus whether argument rules may still intervene.
 */
export function toolAccess(policy: GuardrailsLike, names: string[]): ToolAccess[] {
  const guardrails = guardrailsOf(policy);
  const argumentRules: CompiledGuardrails = { rules: guardrails.rules.filter((rule) => rule.arguments.length > 0), defaultDeny: null };
  return names.map((name) => {
    const request = { method: "tools/call", params: { name } };
    const decision = decide(guardrails, request, { withoutArguments: true });
    const access: ToolAccess = {
      name,
      action: decision.action,
      conditional: decision.action !== "deny" && argumentRules.rules.some((rule) => ruleNamesTool(rule, name)),
      reason: decision.reason,
    };
    if (decision.rule) access.rule = decision.rule;
    return access;
  });
}

function ruleNamesTool(rule: CompiledGuardrails["rules"][number], name: string): boolean {
  // Argument rules are judged by method and name only: could this rule apply to some call of the tool?
  const shallow: CompiledGuardrails = { rules: [{ ...rule, arguments: [] }], defaultDeny: null };
  return decide(shallow, { method: "tools/call", params: { name } }).rule !== undefined;
}
