import type { RE2JS } from "re2js";
import { compileAdminRegex } from "./admin-regex.ts";
import { compileGlob, type GlobMatcher } from "./glob.ts";
import { type CompiledJsonPath, compileJsonPath, selectJsonPath } from "./json-path.ts";
import { normalizeName } from "./normalize.ts";
import type { GuardrailAction, GuardrailRule, PolicyDocument } from "./schema.ts";

/**
 * Guardrails decide what happens to a client request before it reaches the upstream.
 *
 * A rule matches a request when every condition it has matches:
 * - `method`: glob on the JSON-RPC method as sent (`tools/call`, `resources/*`);
 * - `name`: glob on the target's name — the tool name (`tools/call`), the resource URI
 *   (`resources/read`, `resources/subscribe`, `resources/unsubscribe`), the prompt name
 *   (`prompts/get`), or `params.ref.name` / `params.ref.uri` (`completion/complete`). Both the
 *   glob and the name are compared after NFKC normalization, case folding and removal of
 *   invisible characters, so `DELETE_database`, `ｄｅｌｅｔｅ_database` and `delete\u200B_database`
 *   all match a rule for `delete_database`. A request without a name never matches a name rule;
 * - `arguments`: every matcher matches `params.arguments` (tools/call and prompts/get only; a rule
 *   with argument matchers never matches other methods). `exists: true` — the path selects
 *   something; `exists: false` — it selects nothing; `equals` — some selected value deep-equals
 *   the JSON value; `regex` — some selected string (or number/boolean as text) contains a match
 *   (RE2 syntax, unanchored).
 *
 * The decision, over the global and the connection policy together:
 * 1. `deny` if any matching rule says deny (the first one is reported, global rules first) —
 *    deny always wins, so a connection cannot loosen a global deny rule;
 * 2. else `require-approval` if any matching rule says so (first one reported, global first);
 * 3. else `allow` if any matching rule says allow;
 * 4. else the default — which only applies to the "use" methods `tools/call`, `resources/read`,
 *    `resources/subscribe`, `prompts/get` and `completion/complete`. Every other method
 *    (initialize, ping, tools/list and the other lists, logging/setLevel, notifications, …) is
 *    allowed unless a rule explicitly matches it. The default is `deny` if either the global or
 *    the connection default is `deny`: a connection can tighten the global default, never loosen
 *    it. Under a deny default, allow rules of either policy name what may be used (a global
 *    default deny plus connection allow rules = a per-connection allowlist).
 */

export type GuardrailScope = "global" | "connection";

export interface MatchedRule {
  id: string;
  description?: string;
  scope: GuardrailScope;
  holdMinutes?: number;
}

export interface GuardrailDecision {
  action: GuardrailAction;
  rule?: MatchedRule;
  /** A sentence for the caller and the audit log; names the rule, never its patterns. */
  reason: string;
}

export interface GuardrailRequest {
  method: string;
  params?: unknown;
}

interface CompiledArgumentMatcher {
  path: CompiledJsonPath;
  test: (values: unknown[]) => boolean;
}

interface CompiledGuardrailRule {
  info: MatchedRule;
  action: GuardrailAction;
  method: GlobMatcher | null;
  name: GlobMatcher | null;
  arguments: CompiledArgumentMatcher[];
}

export interface CompiledGuardrails {
  /** Global rules first, then the connection's, each in document order. */
  rules: CompiledGuardrailRule[];
  /** Which policy's default denies (global reported first), or null when the default is allow. */
  defaultDeny: GuardrailScope | null;
}

export const USE_METHODS: ReadonlySet<string> = new Set([
  "tools/call",
  "resources/read",
  "resources/subscribe",
  "prompts/get",
  "completion/complete",
]);
const ARGUMENT_METHODS: ReadonlySet<string> = new Set(["tools/call", "prompts/get"]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asName(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** The name guardrail `name` globs are matched against, per method; undefined when there is none. */
export function targetName(method: string, params: unknown): string | undefined {
  if (!isRecord(params)) return undefined;
  switch (method) {
    case "tools/call":
    case "prompts/get":
      return asName(params.name);
    case "resources/read":
    case "resources/subscribe":
    case "resources/unsubscribe":
      return asName(params.uri);
    case "completion/complete":
      return isRecord(params.ref) ? (asName(params.ref.name) ?? asName(params.ref.uri)) : undefined;
    default:
      return undefined;
  }
}

/** Deep equality of JSON values (object key order does not matter). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  return keys.every((key) => Object.hasOwn(rb, key) && jsonEquals(ra[key], rb[key]));
}

function regexTest(re: RE2JS): (values: unknown[]) => boolean {
  return (values) =>
    values.some(
      (value) => (typeof value === "string" || typeof value === "number" || typeof value === "boolean") && re.test(String(value)),
    );
}

function compileRule(rule: GuardrailRule, scope: GuardrailScope, index: number): CompiledGuardrailRule {
  const info: MatchedRule = { id: rule.id ?? `#${index + 1}`, scope };
  if (rule.description !== undefined) info.description = rule.description;
  if (rule.action === "require-approval" && rule.holdMinutes !== undefined) info.holdMinutes = rule.holdMinutes;
  const argumentMatchers = (rule.match.arguments ?? []).map((matcher): CompiledArgumentMatcher => {
    const path = compileJsonPath(matcher.path);
    if (matcher.regex !== undefined) return { path, test: regexTest(compileAdminRegex(matcher.regex)) };
    if (matcher.exists !== undefined) {
      const wanted = matcher.exists;
      return { path, test: (values) => values.length > 0 === wanted };
    }
    const expected = matcher.equals;
    return { path, test: (values) => values.some((value) => jsonEquals(value, expected)) };
  });
  return {
    info,
    action: rule.action,
    method: rule.match.method !== undefined ? compileGlob(rule.match.method) : null,
    name: rule.match.name !== undefined ? compileGlob(normalizeName(rule.match.name)) : null,
    arguments: argumentMatchers,
  };
}

export function compileGuardrails(global: PolicyDocument | null, connection: PolicyDocument | null): CompiledGuardrails {
  const rules: CompiledGuardrailRule[] = [];
  for (const [scope, doc] of [
    ["global", global],
    ["connection", connection],
  ] as const) {
    doc?.rules.forEach((rule, index) => {
      if (rule.kind === "guardrail") rules.push(compileRule(rule, scope, index));
    });
  }
  const defaultDeny = global?.default === "deny" ? "global" : connection?.default === "deny" ? "connection" : null;
  return { rules, defaultDeny };
}

interface PreparedRequest {
  method: string;
  name: string | undefined;
  arguments: unknown;
  hasArguments: boolean;
}

function prepare(request: GuardrailRequest): PreparedRequest {
  const name = targetName(request.method, request.params);
  const hasArguments = ARGUMENT_METHODS.has(request.method);
  return {
    method: request.method,
    name: name === undefined ? undefined : normalizeName(name),
    arguments: hasArguments && isRecord(request.params) ? request.params.arguments : undefined,
    hasArguments,
  };
}

function ruleMatches(rule: CompiledGuardrailRule, request: PreparedRequest): boolean {
  if (rule.method && !rule.method(request.method)) return false;
  if (rule.name && (request.name === undefined || !rule.name(request.name))) return false;
  if (rule.arguments.length > 0) {
    if (!request.hasArguments) return false;
    for (const matcher of rule.arguments) {
      const values = selectJsonPath(request.arguments, matcher.path).map((match) => match.value);
      if (!matcher.test(values)) return false;
    }
  }
  return true;
}

function ruleLabel(rule: MatchedRule): string {
  const where = `${rule.scope} policy`;
  return rule.description ? `policy rule "${rule.description}" (${rule.id}, ${where})` : `policy rule ${rule.id} (${where})`;
}

const DEFAULT_DENY_EXPLANATION: Record<string, string> = {
  "tools/call": "only tools an allow rule names may be called",
  "resources/read": "only resources an allow rule names may be read",
  "resources/subscribe": "only resources an allow rule names may be subscribed to",
  "prompts/get": "only prompts an allow rule names may be used",
  "completion/complete": "only prompts and resources an allow rule names may be completed",
};

export interface DecideOptions {
  /**
   * Judge a use whose arguments are not known yet (list filtering, the catalog): rules with
   * argument matchers that deny or hold are left out — they never hide an item — and those that
   * allow count as matching on method and name alone, since some call may satisfy them (under a
   * deny default, "allow run_sql when $.readonly is true" keeps run_sql listed).
   */
  withoutArguments?: boolean;
}

/** The guardrail decision for one client request (see the semantics at the top of this file). */
export function decide(guardrails: CompiledGuardrails, request: GuardrailRequest, options: DecideOptions = {}): GuardrailDecision {
  const prepared = prepare(request);
  let approval: CompiledGuardrailRule | undefined;
  let allow: CompiledGuardrailRule | undefined;
  for (const rule of guardrails.rules) {
    if (options.withoutArguments && rule.arguments.length > 0) {
      if (rule.action !== "allow" || !ruleMatches({ ...rule, arguments: [] }, prepared)) continue;
    } else if (!ruleMatches(rule, prepared)) {
      continue;
    }
    if (rule.action === "deny") return { action: "deny", rule: { ...rule.info }, reason: `Denied by ${ruleLabel(rule.info)}.` };
    if (rule.action === "require-approval") approval ??= rule;
    else allow ??= rule;
  }
  if (approval) {
    return {
      action: "require-approval",
      rule: { ...approval.info },
      reason: `Needs an approver's decision under ${ruleLabel(approval.info)}.`,
    };
  }
  if (allow) return { action: "allow", rule: { ...allow.info }, reason: `Allowed by ${ruleLabel(allow.info)}.` };
  if (guardrails.defaultDeny && USE_METHODS.has(request.method)) {
    return {
      action: "deny",
      reason: `Denied by the default of the ${guardrails.defaultDeny} policy: ${DEFAULT_DENY_EXPLANATION[request.method]}.`,
    };
  }
  return {
    action: "allow",
    reason: USE_METHODS.has(request.method)
      ? "Allowed: no policy rule matches and the default is allow."
      : `Allowed: no policy rule matches ${request.method}, and defaults only apply to using tools, resources and prompts.`,
  };
}
