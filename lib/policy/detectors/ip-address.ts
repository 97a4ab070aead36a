import { isAlnumCode, isDigitCode, isWordCode, numberEndsAt, numberStartsAt } from "./chars.ts";
import { forEachAccepted, groupLength, numericRuns, rangeOf, uniformSeparator } from "./numeric-runs.ts";
import type { Detector } from "./types.ts";

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
      const { start, end } = rangeOf(run, s, e);
      // "10.0.0.1:8080" and "10.0.0.0/8" are addresses: only "." continues a dotted number.
      if (!numberStartsAt(text, start, ".") || !numberEndsAt(text, end, ".")) return false;
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
  const halves = candidate.split("::");
  if (halves.length > 2) return false;
  const parts = (half: string) => (half === "" ? [] : half.split(":"));
  const head = parts(halves[0]!);
  const tail = halves.length === 2 ? parts(halves[1]!) : [];
  const all = [...head, ...tail];
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

// Starts with "hex:" or "::", then hex digits, ":" and "."; validated by validIpv6.
const V6_CANDIDATE = /(?:[0-9A-Fa-f]{1,4}:|::)[0-9A-Fa-f:.]{0,43}/g;

function detectV6(text: string, out: { start: number; end: number; kind: string }[]): void {
  V6_CANDIDATE.lastIndex = 0;
  for (let match = V6_CANDIDATE.exec(text); match !== null; match = V6_CANDIDATE.exec(text)) {
    const start = match.index;
    let end = start + match[0].length;
    const prev = start > 0 ? text.charCodeAt(start - 1) : -1;
    // Inside a word or a longer token ("std::ab", "10:15:30.5"): not an address.
    if (prev !== -1 && (isWordCode(prev) || prev === 58 || prev === 46)) continue;
    if (end < text.length && isAlnumCode(text.charCodeAt(end))) continue;
    let candidate = match[0];
    // Sentence punctuation after an address: "at fe80::1." / "fe80::1: down".
    while (candidate.endsWith(".") || (candidate.endsWith(":") && !candidate.endsWith("::"))) {
      candidate = candidate.slice(0, -1);
      end--;
    }
    if (!candidate.includes(":") || !validIpv6(candidate)) continue;
    out.push({ start, end, kind: "ip-address" });
  }
}

export const ipAddress: Detector = {
  name: "ip-address",
  detect(text, _context, out) {
    detectV4(text, out);
    if (text.includes(":")) detectV6(text, out);
  },
};
