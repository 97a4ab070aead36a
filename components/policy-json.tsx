"use client";

import { useId, useState } from "react";
import { newRuleId, type PolicyDocument, policyDocumentSchema } from "@/lib/policy/schema";
import { errorMessage } from "./api";
import { canonicalJson } from "./policy-format";
import { buttonClass, cx, inputClass } from "./ui";

// The whole draft as JSON: to read, to copy elsewhere, or to paste a policy in. A pasted document
// is checked with the schema the API saves with; every problem is listed with its path.

export function draftJson(draft: PolicyDocument): string {
  return JSON.stringify({ default: draft.default, rules: draft.rules }, null, 2);
}

/** Parses and validates pasted JSON; rules without an id get one (as the API would on save). */
export function parsePolicyJson(text: string): { document: PolicyDocument } | { problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problems: [`Not valid JSON: ${errorMessage(error)}`] };
  }
  const result = policyDocumentSchema.safeParse(value);
  if (!result.success) {
    return {
      problems: result.error.issues.map((issue) =>
        issue.path.length ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message,
      ),
    };
  }
  const taken = new Set(result.data.rules.map((rule) => rule.id).filter(Boolean));
  const rules = result.data.rules.map((rule) => {
    if (rule.id !== undefined) return rule;
    let id = newRuleId();
    while (taken.has(id)) id = newRuleId();
    taken.add(id);
    return { ...rule, id };
  });
  return { document: { default: result.data.default, rules } };
}

export function PolicyJson({ draft, onImport }: { draft: PolicyDocument; onImport: (document: PolicyDocument) => void }) {
  const id = useId();
  const current = draftJson(draft);
  // null: the textarea follows the draft; a string: what the admin is typing or pasted.
  const [text, setText] = useState<string | null>(null);
  const [problems, setProblems] = useState<string[]>([]);
  const [imported, setImported] = useState(false);
  const value = text ?? current;
  const edited = text !== null && text !== current;

  return (
    <div className="space-y-2">
      <label htmlFor={`${id}-json`} className="block text-xs text-gray-600">
        The draft as JSON. Paste or edit a whole policy here and import it to replace the draft (nothing is saved until you save).
      </label>
      <textarea
        id={`${id}-json`}
        className={cx(inputClass, "font-mono text-xs")}
        rows={12}
        spellCheck={false}
        value={value}
        aria-invalid={problems.length ? true : undefined}
        aria-describedby={problems.length ? `${id}-problems` : undefined}
        onChange={(event) => {
          setText(event.target.value);
          setProblems([]);
          setImported(false);
        }}
      />
      {problems.length ? (
        <ul id={`${id}-problems`} role="alert" className="list-inside list-disc space-y-0.5 text-xs text-red-700">
          {problems.map((problem) => (
            <li key={problem} className="break-words">
              {problem}
            </li>
          ))}
        </ul>
      ) : null}
      {imported ? (
        <p role="status" className="text-xs text-emerald-700">
          Imported into the draft.
        </p>
      ) : null}
      <div className="flex flex-wrap gap-2">
        <button
          type="button"
          className={buttonClass("secondary", "sm")}
          disabled={!edited}
          onClick={() => {
            const result = parsePolicyJson(value);
            if ("problems" in result) {
              setProblems(result.problems);
              return;
            }
            setProblems([]);
            setText(null);
            setImported(true);
            // An import that changes nothing still counts as done.
            if (canonicalJson(result.document) !== canonicalJson(draft)) onImport(result.document);
          }}
        >
          Import JSON
        </button>
        <button
          type="button"
          className={buttonClass("ghost", "sm")}
          disabled={!edited}
          onClick={() => {
            setText(null);
            setProblems([]);
          }}
        >
          Discard JSON edits
        </button>
      </div>
    </div>
  );
}
