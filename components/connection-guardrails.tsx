"use client";

import type { GuardrailRule, Rule } from "@/lib/policy/schema";
import { usePolicy } from "./policy-hooks";

// What a requester should know before asking for access: which calls on this connection are
// denied or need an approval, from its policy and the global one. Nothing when there is none.

const isGuardrail = (rule: Rule): rule is GuardrailRule => rule.kind === "guardrail";

const LABELS = { deny: "Denied", "require-approval": "Needs approval", allow: "Allowed" } as const;

function Target({ rule }: { rule: GuardrailRule }) {
  const { method, name } = rule.match;
  const main = name ?? method;
  return (
    <>
      {main ? <code className="rounded bg-gray-100 px-1 font-mono text-[11px] text-gray-900">{main}</code> : "calls"}
      {name && method && method !== "tools/call" ? <span className="text-gray-500">{` (${method})`}</span> : null}
      {rule.match.arguments?.length ? <span className="text-gray-500"> (when arguments match)</span> : null}
    </>
  );
}

export function ConnectionGuardrails({ slug }: { slug: string }) {
  const global = usePolicy(null);
  const own = usePolicy(slug);
  const entries = [
    ...(global.data?.rules ?? []).filter(isGuardrail).map((rule) => ({ rule, global: true })),
    ...(own.data?.rules ?? []).filter(isGuardrail).map((rule) => ({ rule, global: false })),
  ];
  const defaultDeny = global.data?.default === "deny" || own.data?.default === "deny";
  // Allow rules matter only when the default is deny: then they are all that is permitted.
  const shown = entries.filter(({ rule }) => rule.action !== "allow" || defaultDeny);
  if (shown.length === 0 && !defaultDeny) return null;

  return (
    <div className="mt-2 rounded-md bg-gray-50 px-2.5 py-2 text-xs text-gray-700 ring-1 ring-gray-200" data-testid="connection-guardrails">
      <p className="font-medium text-gray-800">Policy</p>
      <ul className="mt-1 space-y-0.5">
        {defaultDeny ? <li>Anything not explicitly allowed is denied.</li> : null}
        {shown.map(({ rule, global: isGlobal }, index) => (
          <li key={`${isGlobal ? "g" : "c"}:${rule.id ?? index}`} className="break-words">
            <span
              className={
                rule.action === "deny"
                  ? "font-medium text-red-800"
                  : rule.action === "allow"
                    ? "font-medium text-emerald-800"
                    : "font-medium text-amber-800"
              }
            >
              {LABELS[rule.action]}:
            </span>{" "}
            <Target rule={rule} />
            {rule.description ? <span className="text-gray-600">{` — ${rule.description}`}</span> : null}
            {isGlobal ? <span className="text-gray-400"> · all connections</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
