"use client";

import { useEffect, useId, useRef, useState } from "react";
import { type GuardrailRule, type MaskRule, newRuleId, type PolicyDocument, policyDocumentSchema, type Rule } from "@/lib/policy/schema";
import { ApiError, errorMessage } from "./api";
import { ACTION_LABELS, ACTION_TONES, canonicalJson, summarizeRule } from "./policy-format";
import { type PolicyScope, type PolicyView, usePolicy, useSavePolicy } from "./policy-hooks";
import { PolicyJson } from "./policy-json";
import { PolicyPreviewPanel } from "./policy-preview";
import { RuleForm } from "./policy-rule-form";
import { PolicyVersions } from "./policy-versions";
import { Time } from "./time";
import { Alert, Badge, buttonClass, Card, cx, Loading } from "./ui";

// The policy editor: a draft (default + ordered rules) edited locally, previewed live against the
// API's preview (the gateway's own evaluation), and saved as a new version with the version it
// started from (a save in between is a 409, never an overwrite).

const documentOf = (view: PolicyView): PolicyDocument => ({ default: view.default, rules: view.rules });
const sameDocument = (a: PolicyDocument, b: PolicyDocument) => canonicalJson(a) === canonicalJson(b);

export function PolicyEditor({ scope }: { scope: PolicyScope }) {
  const policy = usePolicy(scope);
  if (policy.isPending) return <Loading label="Loading the policy…" />;
  if (policy.isError) return <Alert>{errorMessage(policy.error)}</Alert>;
  return <Editor scope={scope} latest={policy.data} reload={async () => (await policy.refetch()).data} />;
}

type Editing = { kind: "rule"; id: string } | { kind: "new"; rule: "guardrail" | "mask" } | null;

interface SaveProblem {
  message: string;
  conflict: boolean;
  /** Messages for rules (by id) that the API or the schema named. */
  rules: Record<string, string>;
}

function Editor({ scope, latest, reload }: { scope: PolicyScope; latest: PolicyView; reload: () => Promise<PolicyView | undefined> }) {
  const id = useId();
  // `base` is the saved version this draft started from: its version goes with the save.
  const [base, setBase] = useState(latest);
  const [draft, setDraft] = useState<PolicyDocument>(() => documentOf(latest));
  const [editing, setEditing] = useState<Editing>(null);
  const [problem, setProblem] = useState<SaveProblem | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const save = useSavePolicy(scope);
  const saved = documentOf(base);
  const dirty = !sameDocument(draft, saved);

  // Someone saved meanwhile: adopt it when there is nothing unsaved here (else the save will 409).
  if (latest.version !== base.version && !dirty && !save.isPending) {
    setBase(latest);
    setDraft(documentOf(latest));
  }

  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const change = (next: PolicyDocument) => {
    setDraft(next);
    setNotice(null);
  };
  const adopt = (view: PolicyView, message: string | null) => {
    setBase(view);
    setDraft(documentOf(view));
    setEditing(null);
    setProblem(null);
    setNotice(message);
  };

  const setRules = (rules: Rule[]) => change({ ...draft, rules });
  const replaceRule = (ruleId: string, rule: Rule) =>
    setRules(draft.rules.map((item) => (item.id === ruleId ? { id: ruleId, ...rule } : item)));
  const addRule = (rule: GuardrailRule | MaskRule) => {
    const taken = new Set(draft.rules.map((item) => item.id));
    let ruleId = newRuleId();
    while (taken.has(ruleId)) ruleId = newRuleId();
    setRules([...draft.rules, { id: ruleId, ...rule }]);
  };

  // Keyboard users keep focus on the button they pressed when its rule moves.
  const pendingFocus = useRef<string | null>(null);
  useEffect(() => {
    if (!pendingFocus.current) return;
    const [ruleId, direction] = pendingFocus.current.split("|");
    pendingFocus.current = null;
    const list = document.getElementById(`${id}-rules`);
    const wanted = list?.querySelector<HTMLButtonElement>(`[data-rule="${ruleId}"][data-move="${direction}"]`);
    const other = list?.querySelector<HTMLButtonElement>(`[data-rule="${ruleId}"][data-move="${direction === "up" ? "down" : "up"}"]`);
    (wanted && !wanted.disabled ? wanted : other)?.focus();
  });
  const move = (index: number, delta: -1 | 1) => {
    const target = index + delta;
    const rule = draft.rules[index];
    const other = draft.rules[target];
    if (!rule || !other) return;
    const rules = [...draft.rules];
    rules[index] = other;
    rules[target] = rule;
    pendingFocus.current = `${rule.id}|${delta < 0 ? "up" : "down"}`;
    setRules(rules);
  };

  const submit = () => {
    setNotice(null);
    const checked = policyDocumentSchema.safeParse(draft);
    if (!checked.success) {
      const rules: Record<string, string> = {};
      const other: string[] = [];
      for (const issue of checked.error.issues) {
        const [first, index, ...rest] = issue.path;
        const rule = first === "rules" && typeof index === "number" ? draft.rules[index] : undefined;
        const text = `${rest.map(String).join(".") || "rule"}: ${issue.message}`;
        if (rule?.id) rules[rule.id] ??= text;
        else other.push(`${issue.path.map(String).join(".")}: ${issue.message}`);
      }
      setProblem({ message: other.join("; ") || "Some rules need fixing before the policy can be saved.", conflict: false, rules });
      return;
    }
    save.mutate(
      { document: draft, baseVersion: base.version },
      {
        onSuccess: (view) =>
          adopt(view, view.version === base.version ? "Nothing changed: no new version." : `Saved as version ${view.version}.`),
        onError: (error) => setProblem(saveProblem(error, draft)),
      },
    );
  };

  const editingRule = editing?.kind === "rule" ? draft.rules.find((rule) => rule.id === editing.id) : undefined;

  return (
    <div className="space-y-4">
      <div
        className="-mx-4 flex flex-wrap items-center gap-x-3 gap-y-2 border-b border-gray-200 bg-gray-50/95 px-4 py-2 backdrop-blur lg:sticky lg:top-12 lg:z-[5]"
        data-testid="policy-toolbar"
      >
        <p className="min-w-0 text-sm text-gray-700" data-testid="policy-version-status">
          {base.version === 0 ? (
            "Never saved: nothing is enforced yet."
          ) : (
            <>
              <span className="font-semibold text-gray-900">{`Version ${base.version}`}</span>
              <span className="text-gray-500">
                {` · ${base.updatedBy ?? "?"} · `}
                <Time iso={base.updatedAt} zone />
              </span>
            </>
          )}
        </p>
        <div className="ml-auto flex items-center gap-2">
          {dirty ? (
            <Badge tone="amber" title="The draft differs from the saved version">
              Unsaved changes
            </Badge>
          ) : null}
          <button
            type="button"
            className={buttonClass("secondary")}
            disabled={!dirty || save.isPending}
            onClick={() => {
              change(saved);
              setProblem(null);
              setEditing(null);
            }}
          >
            Discard
          </button>
          <button type="button" className={buttonClass("primary")} disabled={!dirty || save.isPending} onClick={submit}>
            {save.isPending ? "Saving…" : "Save policy"}
          </button>
        </div>
      </div>

      {notice ? <Alert tone="green">{notice}</Alert> : null}
      {problem ? (
        <Alert tone={problem.conflict ? "amber" : "red"}>
          <p className="break-words">{problem.message}</p>
          {problem.conflict ? (
            <button
              type="button"
              className={cx(buttonClass("secondary", "sm"), "mt-2")}
              onClick={async () => {
                const view = await reload();
                if (view) adopt(view, `Reloaded version ${view.version}. Apply your change again.`);
              }}
            >
              Reload the saved policy (discards your draft)
            </button>
          ) : null}
        </Alert>
      ) : null}

      <div className="grid gap-4 lg:grid-cols-[minmax(0,7fr)_minmax(0,5fr)]">
        <div className="min-w-0 space-y-4">
          <Card title="Rules">
            <fieldset className="mb-4">
              <legend className="mb-1 text-xs font-medium text-gray-700">Default for requests no guardrail decides</legend>
              <div className="flex flex-wrap gap-4 text-sm">
                {(["allow", "deny"] as const).map((value) => (
                  <label key={value} className="flex items-center gap-1.5">
                    <input
                      type="radio"
                      name={`${id}-default`}
                      checked={draft.default === value}
                      onChange={() => change({ ...draft, default: value })}
                    />
                    {value === "allow" ? "Allow" : "Deny"}
                  </label>
                ))}
              </div>
            </fieldset>

            {draft.rules.length === 0 ? (
              <p className="rounded-md border border-dashed border-gray-300 px-3 py-4 text-center text-sm text-gray-500">
                No rules yet. Guardrails decide which calls may pass; mask rules hide values in everything sent to the client and recorded.
              </p>
            ) : (
              <ol id={`${id}-rules`} className="space-y-2" aria-label="Rules, in the order they are evaluated">
                {draft.rules.map((rule, index) => {
                  const ruleId = rule.id ?? `#${index}`;
                  const isEditing = editing?.kind === "rule" && editing.id === rule.id;
                  const ruleProblem = rule.id ? problem?.rules[rule.id] : undefined;
                  return (
                    <li
                      key={ruleId}
                      data-testid="policy-rule"
                      className={cx(
                        "rounded-md border px-3 py-2",
                        ruleProblem ? "border-red-300 bg-red-50/40" : isEditing ? "border-indigo-300" : "border-gray-200",
                      )}
                    >
                      <RuleRow
                        rule={rule}
                        index={index}
                        count={draft.rules.length}
                        editing={isEditing}
                        onEdit={() => setEditing(isEditing ? null : { kind: "rule", id: ruleId })}
                        onMove={(delta) => move(index, delta)}
                        onRemove={() => {
                          setRules(draft.rules.filter((item) => item !== rule));
                          if (isEditing) setEditing(null);
                        }}
                      />
                      {ruleProblem ? (
                        <p role="alert" className="mt-1 text-xs break-words text-red-700">
                          {ruleProblem}
                        </p>
                      ) : null}
                      {isEditing && editingRule ? (
                        <div className="mt-3 border-t border-gray-100 pt-3">
                          <RuleForm
                            rule={editingRule}
                            onApply={(next) => {
                              replaceRule(ruleId, next);
                              setEditing(null);
                              if (problem?.rules[ruleId]) {
                                const { [ruleId]: _fixed, ...rest } = problem.rules;
                                setProblem({ ...problem, rules: rest });
                              }
                            }}
                            onCancel={() => setEditing(null)}
                          />
                        </div>
                      ) : null}
                    </li>
                  );
                })}
              </ol>
            )}

            {editing?.kind === "new" ? (
              <div className="mt-3 rounded-md border border-indigo-300 p-3">
                <h3 className="mb-2 text-sm font-semibold text-gray-900">
                  {editing.rule === "guardrail" ? "New guardrail rule" : "New mask rule"}
                </h3>
                <RuleForm
                  rule={null}
                  kind={editing.rule}
                  onApply={(rule) => {
                    addRule(rule);
                    setEditing(null);
                  }}
                  onCancel={() => setEditing(null)}
                />
              </div>
            ) : (
              <div className="mt-3 flex flex-wrap gap-2">
                <button
                  type="button"
                  className={buttonClass("secondary", "sm")}
                  onClick={() => setEditing({ kind: "new", rule: "guardrail" })}
                >
                  Add guardrail rule
                </button>
                <button type="button" className={buttonClass("secondary", "sm")} onClick={() => setEditing({ kind: "new", rule: "mask" })}>
                  Add mask rule
                </button>
              </div>
            )}
          </Card>

          <Card title="JSON">
            <PolicyJson
              draft={draft}
              onImport={(document) => {
                change(document);
                setEditing(null);
              }}
            />
          </Card>
        </div>

        <Card title="Live preview" className="min-w-0 self-start">
          <PolicyPreviewPanel scope={scope} draft={draft} />
        </Card>
      </div>

      <Card title="Versions">
        <PolicyVersions
          scope={scope}
          draft={draft}
          saved={saved}
          onRestored={(view) => adopt(view, `Restored as version ${view.version}.`)}
        />
      </Card>
    </div>
  );
}

function RuleRow({
  rule,
  index,
  count,
  editing,
  onEdit,
  onMove,
  onRemove,
}: {
  rule: Rule;
  index: number;
  count: number;
  editing: boolean;
  onEdit: () => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}) {
  const position = index + 1;
  return (
    <div className="flex flex-wrap items-start gap-x-3 gap-y-2">
      <div className="flex min-w-0 flex-1 basis-64 items-start gap-2">
        <span className="mt-0.5 w-5 shrink-0 text-right text-xs text-gray-400 tabular-nums">{position}</span>
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-1.5">
            <Badge tone={rule.kind === "guardrail" ? "indigo" : "violet"}>{rule.kind}</Badge>
            {rule.kind === "guardrail" ? (
              <Badge tone={ACTION_TONES[rule.action]}>{ACTION_LABELS[rule.action].toLowerCase()}</Badge>
            ) : (
              <Badge tone="gray">{rule.style}</Badge>
            )}
            {rule.description ? <span className="text-sm font-medium text-gray-900">{rule.description}</span> : null}
          </div>
          <p className="mt-0.5 font-mono text-xs break-words text-gray-700" data-testid="rule-summary">
            {summarizeRule(rule)}
          </p>
        </div>
      </div>
      <div className="ml-auto flex shrink-0 items-center gap-1">
        <button
          type="button"
          className={buttonClass("ghost", "sm")}
          aria-expanded={editing}
          aria-label={`Edit rule ${position}`}
          onClick={onEdit}
        >
          {editing ? "Close" : "Edit"}
        </button>
        <button
          type="button"
          className={buttonClass("ghost", "sm")}
          aria-label={`Move rule ${position} up`}
          data-rule={rule.id}
          data-move="up"
          disabled={index === 0}
          onClick={() => onMove(-1)}
        >
          ↑
        </button>
        <button
          type="button"
          className={buttonClass("ghost", "sm")}
          aria-label={`Move rule ${position} down`}
          data-rule={rule.id}
          data-move="down"
          disabled={index === count - 1}
          onClick={() => onMove(1)}
        >
          ↓
        </button>
        <button type="button" className={buttonClass("ghost", "sm")} aria-label={`Remove rule ${position}`} onClick={onRemove}>
          Remove
        </button>
      </div>
    </div>
  );
}

/** A failed save as the editor shows it: 409 with a reload, a 400 naming a rule on that rule. */
function saveProblem(error: unknown, draft: PolicyDocument): SaveProblem {
  if (error instanceof ApiError && error.status === 409) return { message: error.message, conflict: true, rules: {} };
  if (error instanceof ApiError && error.field) {
    const match = /^rules\.(\d+)(?:\.|$)/.exec(error.field);
    const rule = match ? draft.rules[Number(match[1])] : undefined;
    if (rule?.id) {
      return {
        message: `Rule ${Number(match?.[1]) + 1} was not accepted; see the message at the rule.`,
        conflict: false,
        rules: { [rule.id]: error.message },
      };
    }
  }
  return { message: errorMessage(error), conflict: false, rules: {} };
}
