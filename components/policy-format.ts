// How policy rules read to people: one-line summaries for the editor's list and the catalog.
// Pure functions (no hooks, no server code): usable from any component.

import type { ArgumentMatcher, GuardrailAction, GuardrailRule, MaskRule, MaskStyle, Rule } from "@/lib/policy/schema";
import type { Tone } from "./ui";

/** Client request methods a guardrail commonly matches (the select's options; anything else is "custom"). */
export const COMMON_METHODS = [
  "tools/call",
  "tools/list",
  "resources/read",
  "resources/list",
  "resources/templates/list",
  "resources/subscribe",
  "prompts/get",
  "prompts/list",
  "completion/complete",
  "logging/setLevel",
] as const;

export const ACTION_LABELS: Record<GuardrailAction, string> = {
  allow: "Allow",
  deny: "Deny",
  "require-approval": "Require approval",
};

export const ACTION_TONES: Record<GuardrailAction, Tone> = { allow: "green", deny: "red", "require-approval": "amber" };

export const STYLE_HELP: Record<MaskStyle, string> = {
  redact: "Replaced by [REDACTED:kind]: nothing of the value is left.",
  partial: "Only the last few characters stay visible (****1234), enough to tell values apart.",
  hash: "Replaced by [HASH:kind:…], a keyed hash: equal values give equal hashes, nothing can be read back.",
};

export function describeMatcher(matcher: ArgumentMatcher): string {
  if (matcher.exists !== undefined) return `${matcher.path} ${matcher.exists ? "exists" : "is absent"}`;
  if (matcher.regex !== undefined) return `${matcher.path} matches /${matcher.regex}/`;
  return `${matcher.path} = ${JSON.stringify(matcher.equals)}`;
}

/** What a guardrail matches: "tools/call get-env*", "any method on delete_*", "resources/*". */
export function guardrailTarget(rule: GuardrailRule): string {
  const { method, name } = rule.match;
  if (method && name) return `${method} ${name}`;
  if (name) return name;
  if (method) return method;
  return "any request";
}

export function summarizeGuardrail(rule: GuardrailRule): string {
  const args = rule.match.arguments?.length ? ` when ${rule.match.arguments.map(describeMatcher).join(" and ")}` : "";
  const hold = rule.action === "require-approval" && rule.holdMinutes ? ` (held up to ${rule.holdMinutes} min)` : "";
  return `${ACTION_LABELS[rule.action]}: ${guardrailTarget(rule)}${args}${hold}`;
}

export function summarizeMask(rule: MaskRule): string {
  const parts: string[] = [];
  if (rule.detectors?.length) parts.push(rule.detectors[0] === "all" ? "every detector" : rule.detectors.join(", "));
  if (rule.keys?.length) parts.push(`keys ${rule.keys.join(", ")}`);
  if (rule.paths?.length) parts.push(`paths ${rule.paths.join(", ")}`);
  if (rule.regex) parts.push(`/${rule.regex}/ as ${rule.label ?? "?"}`);
  return `Mask ${parts.join("; ") || "nothing"} (${rule.style})`;
}

export function summarizeRule(rule: Rule): string {
  return rule.kind === "guardrail" ? summarizeGuardrail(rule) : summarizeMask(rule);
}

/** Pretty JSON with sorted keys, for comparing documents regardless of key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, inner: unknown) =>
      inner && typeof inner === "object" && !Array.isArray(inner)
        ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
        : inner,
    2,
  );
}
