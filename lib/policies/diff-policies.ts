import type { PolicyDocument, Rule } from "../policy/schema.ts";

export interface PolicyDiff {
  defaultChanged: { from: string; to: string } | null;
  added: string[];
  removed: string[];
  changed: string[];
  reordered: boolean;
}

const ruleLabel = (rule: Rule) => (rule.description ? `${rule.id} "${rule.description}"` : String(rule.id));
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );

/** What changed between two versions, by rule id: stored with each version and in its audit event. */
export function diffPolicies(before: PolicyDocument, after: PolicyDocument): PolicyDiff {
  const old = new Map(before.rules.map((rule) => [rule.id, rule]));
  const next = new Map(after.rules.map((rule) => [rule.id, rule]));
  const added = after.rules.filter((rule) => !old.has(rule.id));
  const removed = before.rules.filter((rule) => !next.has(rule.id));
  const changed = after.rules.filter((rule) => {
    const previous = old.get(rule.id);
    return previous !== undefined && canonical(previous) !== canonical(rule);
  });
  const keptBefore = before.rules.filter((rule) => next.has(rule.id)).map((rule) => rule.id);
  const keptAfter = after.rules.filter((rule) => old.has(rule.id)).map((rule) => rule.id);
  return {
    defaultChanged: before.default === after.default ? null : { from: before.default, to: after.default },
    added: added.map(ruleLabel),
    removed: removed.map(ruleLabel),
    changed: changed.map(ruleLabel),
    reordered: keptBefore.join("\n") !== keptAfter.join("\n"),
  };
}

export function isEmptyDiff(diff: PolicyDiff): boolean {
  return !diff.defaultChanged && !diff.added.length && !diff.removed.length && !diff.changed.length && !diff.reordered;
}

/** One line a person can read in the versions list and the audit log. */
export function summarizeDiff(diff: PolicyDiff): string {
  const parts: string[] = [];
  if (diff.defaultChanged) parts.push(`default ${diff.defaultChanged.from} → ${diff.defaultChanged.to}`);
  if (diff.added.length) parts.push(`added ${diff.added.join(", ")}`);
  if (diff.removed.length) parts.push(`removed ${diff.removed.join(", ")}`);
  if (diff.changed.length) parts.push(`changed ${diff.changed.join(", ")}`);
  if (diff.reordered) parts.push("reordered rules");
  return parts.length ? parts.join("; ") : "no change";
}
