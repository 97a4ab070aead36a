"use client";

import { type ReactNode, useState } from "react";
import { cx } from "./ui";

// A read-only JSON viewer: objects and arrays collapse, keys stay in the order the message had
// them (as JSON.parse keeps them: a key that looks like an array index, e.g. "2", comes first —
// JavaScript's rule), and masked values are highlighted: the replacement tokens lib/policy/replace.ts
// writes ("[REDACTED:email]", "[HASH:email:1a2b…]") and `partial` masks (four or more "*", then
// at most four kept characters).

const MASKED = /\[(?:REDACTED|HASH):[^\]\s]{1,200}\]|\*[*\t .:/@_-]*(?:[^*\t .:/@_-][\t .:/@_-]*){0,4}/g;
/** Containers with more entries than this, or deeper than OPEN_DEPTH, start collapsed. */
const OPEN_ENTRIES = 200;
const OPEN_DEPTH = 5;
/** Strings longer than this show their start and a button for the rest. */
const LONG_STRING = 8000;

/** Splits text into plain parts and masked spans. */
export function maskedParts(text: string): Array<{ text: string; masked: boolean }> {
  const parts: Array<{ text: string; masked: boolean }> = [];
  let last = 0;
  MASKED.lastIndex = 0;
  for (let match = MASKED.exec(text); match !== null; match = MASKED.exec(text)) {
    const found = match[0];
    // A partial mask has at least four stars (fewer are just stars).
    if (found[0] === "*" && (found.match(/\*/g)?.length ?? 0) < 4) continue;
    if (match.index > last) parts.push({ text: text.slice(last, match.index), masked: false });
    parts.push({ text: found, masked: true });
    last = match.index + found.length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), masked: false });
  return parts;
}

export function MaskedText({ text }: { text: string }) {
  return (
    <>
      {maskedParts(text).map((part, index) =>
        part.masked ? (
          <mark
            // biome-ignore lint/suspicious/noArrayIndexKey: parts of one fixed string
            key={index}
            data-testid="masked-token"
            title="Masked by policy before it was stored"
            className="rounded-sm bg-violet-400/25 px-0.5 text-violet-100 ring-1 ring-violet-400/70"
          >
            {part.text}
          </mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one fixed string
          <span key={index}>{part.text}</span>
        ),
      )}
    </>
  );
}

function StringValue({ value }: { value: string }) {
  const [all, setAll] = useState(false);
  // As JSON writes it (escapes included), so what is shown is what was sent.
  const escaped = JSON.stringify(value);
  const shown = all || escaped.length <= LONG_STRING ? escaped : `${escaped.slice(0, LONG_STRING)}`;
  return (
    <span className="text-emerald-300">
      <MaskedText text={shown} />
      {shown !== escaped && (
        <button type="button" className="ml-1 text-slate-400 underline hover:text-white" onClick={() => setAll(true)}>
          … {escaped.length - shown.length} more characters
        </button>
      )}
    </span>
  );
}

function Scalar({ value }: { value: unknown }) {
  if (typeof value === "string") return <StringValue value={value} />;
  if (typeof value === "number") return <span className="text-amber-300">{String(value)}</span>;
  if (typeof value === "boolean") return <span className="text-fuchsia-300">{String(value)}</span>;
  if (value === null) return <span className="text-slate-400">null</span>;
  return <span className="text-slate-400">{String(value)}</span>;
}

function isContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

function Node({ name, value, depth, last }: { name?: string | number; value: unknown; depth: number; last: boolean }) {
  const label: ReactNode =
    typeof name === "string" ? (
      <>
        <span className="text-sky-300">{JSON.stringify(name)}</span>
        <span className="text-slate-400">: </span>
      </>
    ) : null;
  const comma = last ? null : <span className="text-slate-500">,</span>;
  if (!isContainer(value))
    return (
      <div>
        {label}
        <Scalar value={value} />
        {comma}
      </div>
    );
  return <Container label={label} value={value} depth={depth} comma={comma} />;
}

function Container({
  label,
  value,
  depth,
  comma,
}: {
  label: ReactNode;
  value: Record<string, unknown> | unknown[];
  depth: number;
  comma: ReactNode;
}) {
  const array = Array.isArray(value);
  const entries: Array<[string | number, unknown]> = array ? value.map((item, index) => [index, item]) : Object.entries(value);
  const [open, setOpen] = useState(depth < OPEN_DEPTH && entries.length <= OPEN_ENTRIES);
  const [start, end] = array ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0)
    return (
      <div>
        {label}
        <span className="text-slate-400">
          {start}
          {end}
        </span>
        {comma}
      </div>
    );
  const count = `${entries.length} ${array ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"}`;
  return (
    <div className="relative">
      <button
        type="button"
        onClick={() => setOpen(!open)}
        aria-expanded={open}
        aria-label={open ? `Collapse (${count})` : `Expand (${count})`}
        className="absolute -left-4 w-4 text-center text-slate-500 hover:text-white"
      >
        {open ? "▾" : "▸"}
      </button>
      {label}
      <span className="text-slate-400">{start}</span>
      {open ? (
        <>
          <div className="border-l border-slate-700/70 pl-4">
            {entries.map(([name, item], index) => (
              <Node key={name} name={array ? undefined : name} value={item} depth={depth + 1} last={index === entries.length - 1} />
            ))}
          </div>
          <span className="text-slate-400">{end}</span>
          {comma}
        </>
      ) : (
        <>
          <button
            type="button"
            onClick={() => setOpen(true)}
            className="mx-1 rounded bg-slate-700/70 px-1 text-slate-300 hover:bg-slate-600"
          >
            {count}
          </button>
          <span className="text-slate-400">{end}</span>
          {comma}
        </>
      )}
    </div>
  );
}

/** A JSON value, collapsible, with masked spans highlighted; long lines wrap inside the box. */
export function JsonView({ value, label, className }: { value: unknown; label: string; className?: string }) {
  return (
    <figure
      aria-label={label}
      className={cx(
        "overflow-auto rounded-md bg-slate-900 py-3 pr-3 pl-6 font-mono text-xs leading-relaxed break-words whitespace-pre-wrap text-slate-100 [overflow-wrap:anywhere]",
        className,
      )}
    >
      <Node value={value} depth={0} last />
    </figure>
  );
}
