import { isAlnumCode, isDigitCode, numberEndsAt, numberStartsAt } from "./chars.ts";
import { digitsRange, forEachAccepted, groupLength, numericRuns, uniformSeparator } from "./numeric-runs.ts";
import { type Detector, FEATURE } from "./types.ts";

// IPv4 (four dot-separated octets 0–255 without leading zeros, not part of a longer dotted run, so
// "1.2.3" and "v2.10.3" are not addresses but "1.2.3.4" is) and IPv6 (full, "::"-compressed and
// IPv4-mapped forms, validated by structure rather than a giant regex).

function octet(text: string, start: number, end: number): boolean {
  const length = end - start;
  if (length < 1 || length > 3 || (length > 1 && text.charCodeAt(start) === 48)) return false;
  return Number(text.slice(start, end)) <= 255;
}

function detectV4(text: string, out: { start: number; end: number; kind: string }[]): void {
  for (const run of numericRuns(text)) {
    if (run.groups.length < 4) continue;
    forEachAccepted(run, (s, e) => {
      if (e - s !== 4 || (s === 0 && run.plus) || uniformSeparator(run.groups, s, e) !== ".") return false;
      for (let i = s; i < e; i++) {
        const g = run.groups[i]!;
        if (groupLength(run.groups, i) > 3 || !octet(text, g.start, g.end)) return false;
      }
      const { start, end } = digitsRange(run, s, e);
      // "10.0.0.1:8080" and "10.0.0.0/8" are addresses: only "." continues a dotted number.
      if (!numberStartsAt(text, start, ".", true) || !numberEndsAt(text, end, ".")) return false;
      out.push({ start, end, kind: "ip-address" });
      return true;
    });
  }
}

function isHexCode(code: number): boolean {
  return isDigitCode(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

function hexGroup(part: string): boolean {
  if (part.length < 1 || part.length > 4) return false;
  for (let i = 0; i < part.length; i++) if (!isHexCode(part.charCodeAt(i))) return false;
  return true;
}

function ipv4(part: string): boolean {
  const octets = part.split(".");
  if (octets.length !== 4) return false;
  return octets.every((o) => /^\d{1,3}$/.test(o) && octet(o, 0, o.length));
}

/** Structural IPv6 check: at most one "::", 1–4 hex digits per group, 8 groups (an IPv4 tail counts 2). */
export function validIpv6(candidate: string): boolean {
  const compressed = candidate.indexOf("::");
  // Cheap rejections first: times ("10:15:30") and MACs have neither "::" nor seven colons.
  if (compressed < 0) {
    let colons = 0;
    for (let i = 0; i < candidate.length; i++) if (candidate.charCodeAt(i) === 58) colons++;
    if (colons !== 7 && !(colons === 6 && candidate.includes("."))) return false;
  } else if (candidate.indexOf("::", compressed + 1) >= 0) {
    return false;
  }
  const halves = candidate.split("::");
  const all: string[] = [];
  for (const half of halves) if (half !== "") for (const part of half.split(":")) all.push(part);
  let groups = 0;
  for (let i = 0; i < all.length; i++) {
    const part = all[i]!;
    if (i === all.length - 1 && part.includes(".")) {
      if (!ipv4(part)) return false;
      groups += 2;
    } else if (hexGroup(part)) {
      groups += 1;
    } else {
      return false;
    }
  }
  if (halves.length === 2) return groups <= 7 && (groups > 0 || candidate === "::") && candidate !== "::";
  return groups === 8;
}

/** Offset of the last ":" before `before` that is not part of a "::", or -1. */
function singleColonBefore(run: string, before: number): number {
  for (let i = before - 1; i > 0; i--) {
    if (run.charCodeAt(i) === 58 && run.charCodeAt(i - 1) !== 58 && run.charCodeAt(i + 1) !== 58) return i;
  }
  return -1;
}

function isV6Char(code: number): boolean {
  return isHexCode(code) || code === 58 || code === 46; // ":" "."
}

/**
 * From each ":" that has a hex digit or another ":" beside it, the surrounding run of hex digits,
 * ":" and "." is the candidate (found with indexOf rather than a regex tried at every hex letter).
 */
function detectV6(text: string, out: { start: number; end: number; kind: string }[]): void {
  const n = text.length;
  let colon = text.indexOf(":");
  // Candidates never reach back into the previous one: in a long run of hex digits and colons
  // ("a:a:a:…") each character is looked at a bounded number of times.
  let floor = 0;
  while (colon >= 0) {
    const before = colon > 0 ? text.charCodeAt(colon - 1) : -1;
    const after = colon + 1 < n ? text.charCodeAt(colon + 1) : -1;
    if (!(isHexCode(before) || before === 58) && !(isHexCode(after) || after === 58)) {
      colon = text.indexOf(":", colon + 1);
      continue;
    }
    let start = colon;
    while (start > floor && colon - start < 45 && isV6Char(text.charCodeAt(start - 1))) start--;
    let end = colon + 1;
    while (end < n && end - start < 46 && isV6Char(text.charCodeAt(end))) end++;
    colon = text.indexOf(":", end);
    floor = end;
    while (start < end && text.charCodeAt(start) === 46) start++; // "."
    // Sentence punctuation after an address: "at fe80::1." / "fe80::1: down".
    while (end > start && (text.charCodeAt(end - 1) === 46 || (text.charCodeAt(end - 1) === 58 && text.charCodeAt(end - 2) !== 58))) end--;
    // A "." before the first ":" ends a word or a sentence ("end.fe80::1"): an address has dots
    // only in an IPv4 tail.
    for (let i = text.indexOf(":", start) - 1; i >= start; i--) {
      if (text.charCodeAt(i) === 46) {
        start = i + 1;
        break;
      }
    }
    // Cheap rejection before any slicing: without "::" an address has 7 colons (6 with an IPv4
    // tail), and no part of a run has more than the run ("10:15:30", "a:b").
    let colons = 0;
    let compressed = false;
    for (let i = start; i < end; i++) {
      if (text.charCodeAt(i) !== 58) continue;
      colons++;
      if (text.charCodeAt(i + 1) === 58) compressed = true;
    }
    if (!compressed && colons < 6) continue;
    const prev = start > 0 ? text.charCodeAt(start - 1) : -1;
    // Glued to a word or a longer token ("std::ab", "x10:15"): the whole run is not an address…
    // ("_" is not glue: markdown emphasis, "ip_fe80::1"; "." glues only after a digit, a dotted
    // number: "end.fe80::1" ends a sentence)
    const glued =
      prev !== -1 && (isAlnumCode(prev) || prev === 58 || (prev === 46 && start >= 2 && isDigitCode(text.charCodeAt(start - 2))));
    const run = text.slice(start, end);
    // …but what follows a single ":" in it may be: "ip:2001:db8::1" reads back to ":2001:db8::1",
    // "ad:2001:db8::1" to "ad:…" with "ad" a hex label. And what precedes its last "." or single
    // ":" may be, when a word follows: "fe80::1.Next", "…:e8:d:Added". Starts after each single ":"
    // are tried with both ends (the run is at most 46 characters).
    const ends = [run.length];
    const lastCut = Math.max(run.lastIndexOf("."), singleColonBefore(run, run.length));
    if (lastCut > 0 && (end >= n || isAlnumCode(text.charCodeAt(end)) || !validIpv6(run))) ends.push(lastCut);
    const endGlued = end < n && isAlnumCode(text.charCodeAt(end));
    let from = 0;
    search: for (;;) {
      if (!(from === 0 && glued)) {
        for (let k = endGlued ? 1 : 0; k < ends.length; k++) {
          const to = ends[k]!;
          if (to <= from) continue;
          const candidate = run.slice(from, to);
          if (candidate.includes(":") && validIpv6(candidate)) {
            out.push({ start: start + from, end: start + to, kind: "ip-address" });
            break search;
          }
        }
      }
      let c = run.indexOf(":", from);
      while (c >= 0 && (run.charCodeAt(c + 1) === 58 || (c > 0 && run.charCodeAt(c - 1) === 58))) c = run.indexOf(":", c + 1);
      if (c < 0 || c >= run.length - 1) break;
      from = c + 1;
    }
  }
}

export const ipAddress: Detector = {
  name: "ip-address",
  minLength: 3,
  requires: FEATURE.IP,
  detect(text, _context, out) {
    detectV4(text, out);
    if (text.includes(":")) detectV6(text, out);
  },
};
