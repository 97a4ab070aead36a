import { isDigitCode } from "./chars.ts";

// Card, phone, SSN and IPv4 detectors all look at runs of digit groups separated by a space, "-",
// "." or "+" (a space in a form-encoded URL: cards and SSNs accept it, phones do not) (and
// parentheses, and a leading "+"). Finding and tokenizing them once per string and
// sharing the result keeps the four of them to a single pass over the text.

export interface DigitGroup {
  /** Offsets of the digits (without parentheses). */
  start: number;
  end: number;
  /** "(" right before / ")" right after the digits. */
  open: boolean;
  close: boolean;
  /** What separates this group from the previous one ("" for the first, or after ")"/before "("). */
  sep: string;
}

export interface NumericRun {
  /** From the "+" or "(" that leads the run, if any, to the last digit or ")". */
  start: number;
  end: number;
  plus: boolean;
  groups: DigitGroup[];
}

const MAX_GROUPS = 12;

function isSeparator(code: number): boolean {
  return code === 32 || code === 45 || code === 46 || code === 43; // " ", "-", ".", "+" (a form-encoded space)
}

function tokenize(text: string, first: number): NumericRun {
  let open = first > 0 && text.charCodeAt(first - 1) === 40; // "("
  let runStart = open ? first - 1 : first;
  const plus = runStart > 0 && text.charCodeAt(runStart - 1) === 43; // "+"
  if (plus) {
    runStart--;
    // "(+44) 20 7946 0958": a country code (1–3 digits) in parentheses; "(+14155552671)" is a
    // number in parentheses like any other.
    if (!open && runStart > 0 && text.charCodeAt(runStart - 1) === 40) {
      let digitsEnd = first;
      while (digitsEnd < text.length && digitsEnd - first < 4 && isDigitCode(text.charCodeAt(digitsEnd))) digitsEnd++;
      if (digitsEnd - first <= 3 && text.charCodeAt(digitsEnd) === 41) {
        open = true;
        runStart--;
      }
    }
  }
  const groups: DigitGroup[] = [];
  let pos = first;
  let sep = "";
  let runEnd = first;
  for (;;) {
    const start = pos;
    while (pos < text.length && isDigitCode(text.charCodeAt(pos))) pos++;
    const close = open && text.charCodeAt(pos) === 41; // ")"
    groups.push({ start, end: pos, open: open && close, close, sep });
    if (close) pos++;
    runEnd = pos;
    if (groups.length >= MAX_GROUPS) break;
    const sepStart = pos;
    if (isSeparator(text.charCodeAt(pos))) pos++;
    open = text.charCodeAt(pos) === 40;
    if (open) pos++;
    if (!isDigitCode(text.charCodeAt(pos))) break;
    if (pos === sepStart && !close) break; // unreachable: digits would have continued the group
    sep = text.slice(sepStart, open ? pos - 1 : pos);
  }
  return { start: runStart, end: runEnd, plus, groups };
}

// Where a run worth tokenizing is: seven or more digits chained by at most two separator
// characters (" ", ".", "-", "(", ")"), or a dotted quad. Everything any of the detectors reports
// has one (cards 13+ digits, SSNs 9, phones 7+, IPv4 four dotted groups), and most digits in prose
// ("2024", "12.5 ms", "$1,234") have neither, so the regex engine skips them in native code and
// only the candidates are tokenized here.
const CANDIDATE = /[+(]?(?<!\d)\d(?:[ .()+-]{0,2}\d){6,}|(?<!\d)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/g;

function keep(run: NumericRun, runs: NumericRun[]): void {
  if (run.groups.length > 1 || run.plus || run.groups[0]!.end - run.groups[0]!.start >= 7) runs.push(run);
}

function scan(text: string): NumericRun[] {
  const runs: NumericRun[] = [];
  CANDIDATE.lastIndex = 0;
  for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
    const end = match.index + match[0].length;
    let pos = match.index;
    let last = end;
    while (pos < end) {
      while (pos < end && !isDigitCode(text.charCodeAt(pos))) pos++;
      if (pos >= end) break;
      const run = tokenize(text, pos);
      keep(run, runs);
      pos = run.end;
      last = Math.max(last, run.end);
    }
    CANDIDATE.lastIndex = last;
  }
  return runs;
}

// One-entry cache: the masker runs every enabled detector on the same string in a row.
let cachedText: string | null = null;
let cachedRuns: NumericRun[] = [];

export function numericRuns(text: string): NumericRun[] {
  if (text !== cachedText) {
    cachedRuns = scan(text);
    cachedText = text;
  }
  return cachedRuns;
}

export function digitCount(groups: DigitGroup[], s: number, e: number): number {
  let count = 0;
  for (let i = s; i < e; i++) count += groups[i]!.end - groups[i]!.start;
  return count;
}

export function groupLength(groups: DigitGroup[], i: number): number {
  return groups[i]!.end - groups[i]!.start;
}

/**
 * The separator shared by groups s+1 … e-1, "" if none, or null if they differ or a group has
 * parentheses inside the run: "(4111111111111111)" is a number in parentheses, "4111 (1111) …" is not.
 */
export function uniformSeparator(groups: DigitGroup[], s: number, e: number): string | null {
  const sep = e - s > 1 ? groups[s + 1]!.sep : "";
  for (let i = s; i < e; i++) {
    const g = groups[i]!;
    if ((g.open && i > s) || (g.close && i < e - 1) || (i > s && g.sep !== sep)) return null;
  }
  return sep;
}

/** Offsets of the digits of groups [s, e), without parentheses or a "+". */
export function digitsRange(run: NumericRun, s: number, e: number): { start: number; end: number } {
  return { start: run.groups[s]!.start, end: run.groups[e - 1]!.end };
}

export function runDigits(text: string, groups: DigitGroup[], s: number, e: number): string {
  let digits = "";
  for (let i = s; i < e; i++) digits += text.slice(groups[i]!.start, groups[i]!.end);
  return digits;
}

/** Offsets of groups [s, e) including their parentheses and, for s = 0, the run's "+". */
export function rangeOf(run: NumericRun, s: number, e: number): { start: number; end: number } {
  const first = run.groups[s]!;
  const last = run.groups[e - 1]!;
  const start = s === 0 ? run.start : first.open ? first.start - 1 : first.start;
  return { start, end: last.close ? last.end + 1 : last.end };
}

/**
 * Tries sub-runs [s, e) longest first and reports the accepted ones; a run is only cut at a single
 * space: "2024 415-555-2671" contains a phone number, "1-415-555-2671-9" does not. Accepted
 * sub-runs do not overlap unless `overlapping` is set: then every start is tried, because in
 * "2671 4111 1111 1111 1111" a Luhn-valid window may start one group early, and masking the union
 * of all valid windows is better than leaking the last group.
 */
export function forEachAccepted(run: NumericRun, accept: (s: number, e: number) => boolean, overlapping = false): void {
  const n = run.groups.length;
  let s = 0;
  while (s < n) {
    if (s > 0 && run.groups[s]!.sep !== " ") {
      s++;
      continue;
    }
    let next = s + 1;
    for (let e = n; e > s; e--) {
      if (e < n && run.groups[e]!.sep !== " ") continue;
      if (accept(s, e)) {
        if (!overlapping) next = e;
        break;
      }
    }
    s = next;
  }
}
