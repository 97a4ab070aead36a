"use client";

import { type ReactNode, useId, useMemo, useState } from "react";
import type { PreviewPolicyInput } from "@/lib/policies/schema";
import type { PolicyDocument } from "@/lib/policy/schema";
import { errorMessage } from "./api";
import { formatDateTime, prettyJson } from "./format";
import { useConnections, useDebounced } from "./hooks";
import { summarizeRule } from "./policy-format";
import { type PolicyPreview, type PolicySample, type PolicyScope, usePolicyPreview, usePolicySamples } from "./policy-hooks";
import { shortZoneName } from "./time";
import { Alert, Badge, cx, inputClass, labelClass, type Tone } from "./ui";

// The editor's live preview: one message (a recorded sample or pasted JSON-RPC) run through the
// DRAFT policy by POST /api/v1/policy/preview, the same compile + evaluate the gateway runs.

const EXAMPLES = [
  {
    key: "example:response",
    label: "Example: a tool result with personal data",
    direction: "response" as const,
    requestMethod: "tools/call",
    message: {
      jsonrpc: "2.0",
      id: 7,
      result: { content: [{ type: "text", text: "Ticket 4411 was opened by jane.doe@example.com from 203.0.113.7." }] },
    },
  },
  {
    key: "example:request",
    label: "Example: a tools/call request",
    direction: "request" as const,
    requestMethod: "",
    message: { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "get-env", arguments: {} } },
  },
];

const sampleKey = (sample: PolicySample) => `sample:${sample.sessionId}:${sample.seq}`;

function sampleLabel(sample: PolicySample): string {
  const arrow = sample.direction === "request" ? "→" : "←";
  const what = sample.method ?? (sample.requestMethod ? `${sample.kind} to ${sample.requestMethod}` : sample.kind);
  return `${formatDateTime(sample.at)} ${shortZoneName(sample.at)} ${arrow} ${what}${sample.tool ? ` ${sample.tool}` : ""} (#${sample.seq})`;
}

const DECISION_TONES: Record<string, Tone> = { allow: "green", deny: "red", "require-approval": "amber" };

/** Masked output tokens: [REDACTED:email], [HASH:email:1a2b…], and partials such as ****1234. */
const MASKED_TOKEN = /\[(?:REDACTED|HASH):[^\]"\s]{1,200}\]|\*{3,}[* .:/@_-]*(?:[^*\s"\\.:/@_-][.:/@_-]*){0,4}/g;

/** Pretty JSON with every masked token wrapped in a highlighted <mark>. */
export function HighlightedJson({ value, label }: { value: unknown; label: string }) {
  const text = prettyJson(value);
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(MASKED_TOKEN)) {
    const start = match.index;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(
      <mark key={start} data-testid="masked-token" className="rounded-sm bg-amber-200 px-0.5 text-amber-950 ring-1 ring-amber-400">
        {match[0]}
      </mark>,
    );
    last = start + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return (
    <figure aria-label={label} className="m-0">
      <pre className="max-h-96 overflow-auto rounded-md bg-gray-50 p-2 font-mono text-xs leading-5 break-words whitespace-pre-wrap text-gray-900 ring-1 ring-gray-200">
        {parts}
      </pre>
    </figure>
  );
}

function parseMessage(text: string): { message: Record<string, unknown> } | { error: string } {
  if (!text.trim()) return { error: "Paste a JSON-RPC message." };
  try {
    const value: unknown = JSON.parse(text);
    if (!value || typeof value !== "object" || Array.isArray(value)) return { error: "The message must be a JSON object." };
    return { message: value as Record<string, unknown> };
  } catch (error) {
    return { error: `Not valid JSON: ${errorMessage(error)}` };
  }
}

export function PolicyPreviewPanel({ scope, draft }: { scope: PolicyScope; draft: PolicyDocument }) {
  const id = useId();
  const connections = useConnections();
  // The global policy previews on any connection's recordings; a connection's on its own.
  const [sampleConnection, setSampleConnection] = useState<string>(scope ?? "");
  const samplesFrom = scope ?? (sampleConnection || connections.data?.[0]?.slug || null);
  const samples = usePolicySamples(samplesFrom);

  const first = EXAMPLES[0]!;
  const [source, setSource] = useState(first.key);
  const [text, setText] = useState(prettyJson(first.message));
  const [direction, setDirection] = useState<"request" | "response">(first.direction);
  const [requestMethod, setRequestMethod] = useState(first.requestMethod);

  const choose = (key: string) => {
    setSource(key);
    const example = EXAMPLES.find((item) => item.key === key);
    const sample = samples.data?.find((item) => sampleKey(item) === key);
    if (example) {
      setText(prettyJson(example.message));
      setDirection(example.direction);
      setRequestMethod(example.requestMethod);
    } else if (sample) {
      setText(prettyJson(sample.payload));
      setDirection(sample.direction);
      setRequestMethod(sample.requestMethod ?? "");
    }
  };

  const parsed = useMemo(() => parseMessage(text), [text]);
  const inputJson = useMemo(() => {
    if ("error" in parsed) return null;
    const input: PreviewPolicyInput = {
      ...(scope !== null ? { connection: scope } : {}),
      policy: draft,
      message: parsed.message,
      direction,
      ...(direction === "response" && requestMethod.trim() ? { requestMethod: requestMethod.trim() } : {}),
    };
    return JSON.stringify(input);
  }, [parsed, scope, draft, direction, requestMethod]);
  // Debounced as a string, so that an equal draft (a new object) does not restart the timer.
  const settled = useDebounced(inputJson, 300);
  const preview = usePolicyPreview(settled === null ? null : (JSON.parse(settled) as PreviewPolicyInput));
  const pending = inputJson !== settled || preview.isFetching;

  return (
    <div className="space-y-3" data-testid="policy-preview">
      {scope === null ? (
        <div>
          <label htmlFor={`${id}-samples-from`} className={labelClass}>
            Recorded samples from
          </label>
          <select
            id={`${id}-samples-from`}
            className={inputClass}
            value={samplesFrom ?? ""}
            onChange={(event) => setSampleConnection(event.target.value)}
          >
            {(connections.data ?? []).map((connection) => (
              <option key={connection.slug} value={connection.slug}>
                {connection.name}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      <div>
        <label htmlFor={`${id}-sample`} className={labelClass}>
          Sample message
        </label>
        <select id={`${id}-sample`} className={inputClass} value={source} onChange={(event) => choose(event.target.value)}>
          <optgroup label="Examples">
            {EXAMPLES.map((example) => (
              <option key={example.key} value={example.key}>
                {example.label}
              </option>
            ))}
          </optgroup>
          <optgroup label={samples.data?.length ? "Recorded on this connection" : "Recorded (none yet)"}>
            {(samples.data ?? []).map((sample) => (
              <option key={sampleKey(sample)} value={sampleKey(sample)}>
                {sampleLabel(sample)}
              </option>
            ))}
          </optgroup>
          <option value="custom">Pasted message</option>
        </select>
        <p className="mt-1 text-xs text-gray-500">
          Recordings are stored already masked by the policy in force when they were recorded, so values masked then cannot show up here.
        </p>
        {samples.isError ? <p className="mt-1 text-xs text-red-700">Recorded samples: {errorMessage(samples.error)}</p> : null}
      </div>
      <div>
        <label htmlFor={`${id}-message`} className={labelClass}>
          JSON-RPC message
        </label>
        <textarea
          id={`${id}-message`}
          className={cx(inputClass, "font-mono text-xs")}
          rows={8}
          spellCheck={false}
          value={text}
          aria-invalid={"error" in parsed ? true : undefined}
          aria-describedby={"error" in parsed ? `${id}-message-error` : undefined}
          onChange={(event) => {
            setText(event.target.value);
            setSource("custom");
          }}
        />
        {"error" in parsed ? (
          <p id={`${id}-message-error`} className="mt-1 text-xs text-red-700">
            {parsed.error}
          </p>
        ) : null}
      </div>
      <div className="grid gap-3 sm:grid-cols-2">
        <div>
          <label htmlFor={`${id}-direction`} className={labelClass}>
            Direction
          </label>
          <select
            id={`${id}-direction`}
            className={inputClass}
            value={direction}
            onChange={(event) => setDirection(event.target.value === "request" ? "request" : "response")}
          >
            <option value="request">request (client → upstream)</option>
            <option value="response">response (upstream → client)</option>
          </select>
        </div>
        <div>
          <label htmlFor={`${id}-request-method`} className={labelClass}>
            Request method
          </label>
          <input
            id={`${id}-request-method`}
            className={cx(inputClass, "font-mono")}
            value={requestMethod}
            disabled={direction === "request"}
            placeholder={direction === "request" ? "(from the message)" : "tools/list"}
            onChange={(event) => setRequestMethod(event.target.value)}
          />
        </div>
      </div>

      <div aria-live="polite" aria-busy={pending} className={cx("space-y-3 transition-opacity", pending && "opacity-60")}>
        {preview.isError ? <Alert>{errorMessage(preview.error)}</Alert> : null}
        {preview.data && !("error" in parsed) ? <PreviewResult result={preview.data} draft={draft} direction={direction} /> : null}
      </div>
    </div>
  );
}

function PreviewResult({ result, draft, direction }: { result: PolicyPreview; draft: PolicyDocument; direction: "request" | "response" }) {
  const matched = result.rule;
  const draftRule = matched ? draft.rules.find((rule) => rule.id === matched.id) : undefined;
  const counts = Object.entries(result.counts).filter(([, count]) => count > 0);
  const sameAsForwarded = JSON.stringify(result.forwarded) === JSON.stringify(result.masked);
  const hidden = result.hidden;
  return (
    <div className="space-y-3">
      <div className="flex flex-wrap items-center gap-2" data-testid="preview-decision">
        <span className="text-xs font-medium text-gray-700">Decision</span>
        <Badge tone={DECISION_TONES[result.decision] ?? "gray"}>{result.decision}</Badge>
        {matched ? (
          <span className="min-w-0 text-xs text-gray-700">
            {matched.scope === "global" ? "by global rule " : "by rule "}
            <span className="font-mono">{matched.id}</span>
            {matched.description ? ` “${matched.description}”` : draftRule ? ` (${summarizeRule(draftRule)})` : ""}
          </span>
        ) : (
          <span className="text-xs text-gray-500">{direction === "request" ? "no rule matched: the default applies" : ""}</span>
        )}
      </div>
      {result.reason ? <p className="text-xs text-gray-700">{result.reason}</p> : null}
      {hidden > 0 ? (
        <p className="text-xs text-gray-700">
          <Badge tone="amber">{hidden} hidden</Badge> list entries the caller may not use are left out of the list.
        </p>
      ) : null}
      {counts.length ? (
        <p className="flex flex-wrap items-center gap-1 text-xs text-gray-700" data-testid="preview-counts">
          Masked:
          {counts.map(([kind, count]) => (
            <Badge key={kind} tone="violet">
              {kind} × {count}
            </Badge>
          ))}
        </p>
      ) : (
        <p className="text-xs text-gray-500">Nothing masked.</p>
      )}
      <div>
        <h3 className="mb-1 text-xs font-medium text-gray-700">
          {result.forwarded === null || result.forwarded === undefined
            ? "Not forwarded"
            : direction === "response"
              ? "What the client receives"
              : "What goes upstream (requests are forwarded unmasked)"}
        </h3>
        {result.forwarded !== null && result.forwarded !== undefined ? (
          <HighlightedJson value={result.forwarded} label="Forwarded message" />
        ) : null}
      </div>
      {!sameAsForwarded ? (
        <div>
          <h3 className="mb-1 text-xs font-medium text-gray-700">What the recording stores</h3>
          <HighlightedJson value={result.masked} label="Recorded message" />
        </div>
      ) : null}
      {result.findings.length ? (
        <div>
          <h3 className="mb-1 text-xs font-medium text-gray-700">Findings</h3>
          <ul className="space-y-0.5 text-xs" data-testid="preview-findings">
            {result.findings.map((finding, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: findings have no identity beyond their position
              <li key={index} className="flex min-w-0 flex-wrap gap-2">
                <Badge tone="violet">{finding.kind}</Badge>
                <span className="font-mono break-all text-gray-700">{finding.path}</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
    </div>
  );
}
