import { isAlnumCode, numberEndsAt, numberStartsAt } from "./chars.ts";
import { type DigitGroup, digitCount, forEachAccepted, groupLength, type NumericRun, numericRuns, rangeOf } from "./numeric-runs.ts";
import { type Detector, FEATURE } from "./types.ts";

// Phone numbers, 7–15 digits, in the shapes people write them:
//   international  +CC then groups with " ", "-", "." or "(0)"   +1 415 555 2671, +44 20 7946 0958, +14155552671
//   NANP           (415) 555-2671, 415-555-2671, 415.555.2671, 1-800-555-0199, local 555-1234
//   trunk "0"      020 7946 0958, 030-1234567, 06-12345678, (030) 1234567, 01 23 45 67 89, 01.23.45.67.89
// Bare digit runs without "+" are never phones here (order numbers, timestamps, amounts), and
// dates, times, versions, prices and digits inside longer numbers are rejected by shape or by the
// boundary checks ("2026-11-22T…", "$1,234.56", "v2.10.3").

function internationalOk(text: string, groups: DigitGroup[], s: number, e: number, count: number): boolean {
  if (count < 8 || count > 15) return false;
  // +1 is the North American plan: exactly ten digits follow, so "+1 415 555 2671 4111 …" ends
  // before the "4111" (which may start a card number).
  if (groupLength(groups, s) === 1 && text.charCodeAt(groups[s]!.start) === 49 && count !== 11) return false;
  for (let i = s + 1; i < e; i++) {
    const sep = groups[i]!.sep;
    if (sep !== " " && sep !== "-" && sep !== "." && sep !== "") return false;
  }
  return true;
}

function sameSeparator(groups: DigitGroup[], s: number, e: number, allowed: string): string | null {
  const sep = groups[s + 1]!.sep;
  if (!allowed.includes(sep) || sep === "") return null;
  for (let i = s + 2; i < e; i++) if (groups[i]!.sep !== sep || groups[i]!.open) return null;
  return sep;
}

function lengthsAre(groups: DigitGroup[], s: number, e: number, lengths: number[]): boolean {
  if (e - s !== lengths.length) return false;
  for (let i = 0; i < lengths.length; i++) if (groupLength(groups, s + i) !== lengths[i]) return false;
  return true;
}

function nationalOk(text: string, groups: DigitGroup[], s: number, e: number, count: number): boolean {
  const k = e - s;
  // "00" is the international call prefix in most countries: 0044 20 7946 0958 has 14 digits.
  const maxDigits = text.startsWith("00", groups[s]!.start) ? 15 : 13;
  if (k < 2 || count < 7 || count > maxDigits) return false;
  const first = groups[s]!;
  for (let i = s + 1; i < e; i++) if (groups[i]!.open) return false;
  if (first.open) {
    // (415) 555-2671 / (030) 1234567: the separator after ")" may be missing or a space.
    const after = groups[s + 1]!.sep;
    if (after !== "" && after !== " ") return false;
    if (k === 3 && lengthsAre(groups, s, e, [3, 3, 4])) return groups[s + 2]!.sep === "-" || groups[s + 2]!.sep === " ";
    if (text.charCodeAt(first.start) !== 48) return false;
    for (let i = s + 2; i < e; i++) if (groups[i]!.sep !== " " && groups[i]!.sep !== "-") return false;
    return count >= 9;
  }
  const sep = sameSeparator(groups, s, e, " -.");
  if (sep === null) return false;
  // Space-grouped digits inside a longer space-grouped run ("3003 0908 9887 0768", a card-like
  // number that fails Luhn) are not a phone number of their own.
  if (sep === " " && (s > 0 || e < groups.length) && !first.open) return false;
  if (lengthsAre(groups, s, e, [3, 3, 4])) return true;
  if (lengthsAre(groups, s, e, [1, 3, 3, 4])) return text.charCodeAt(first.start) === 49; // 1-800-555-0199
  if (lengthsAre(groups, s, e, [3, 4])) return sep === "-"; // 555-1234
  if (lengthsAre(groups, s, e, [3, 2, 4])) return false; // the US SSN shape, never a phone
  if (text.charCodeAt(first.start) !== 48 || count < 9) return false; // trunk prefix "0"
  if (sep === ".") return lengthsAre(groups, s, e, [2, 2, 2, 2, 2]); // 01.23.45.67.89
  const firstLength = groupLength(groups, s);
  if (firstLength < 2 || firstLength > 5 || k > 5) return false;
  for (let i = s + 1; i < e; i++) {
    const length = groupLength(groups, i);
    if (length < 2 || length > 8) return false;
  }
  return true;
}

function gluedByDash(text: string, dash: number, beyond: number): boolean {
  return dash >= 0 && beyond >= 0 && text.charCodeAt(dash) === 45 && isAlnumCode(text.charCodeAt(beyond));
}

// An extension after the number: "x123", " x 123", " ext. 123", " ext 123", ",123" is not one.
const EXTENSION = /(?: ?x ?| ?ext\.? ?| ?extension ?)\d{1,6}/iy;

function extensionEnd(text: string, end: number): number {
  EXTENSION.lastIndex = end;
  return EXTENSION.test(text) ? EXTENSION.lastIndex : end;
}

/** The end of the accepted number (with its extension), or -1. */
function accept(text: string, run: NumericRun, s: number, e: number): number {
  const groups = run.groups;
  const count = digitCount(groups, s, e);
  if (count < 7 || count > 15) return -1;
  const international = s === 0 && run.plus;
  if (international ? !internationalOk(text, groups, s, e, count) : !nationalOk(text, groups, s, e, count)) return -1;
  const { start, end } = rangeOf(run, s, e);
  // "," does not continue a phone number: "Jane,555-1234,42" is a CSV row. A leading "(" or "+"
  // is a boundary of its own ("x(415) 555-2671"), and "#+1 …" is a phone number.
  // "#" before a local "555-1234" is an issue or order number, before anything longer a phone number.
  if (text.charCodeAt(start) !== 40 && !numberStartsAt(text, start, ".:/-", international || count > 7)) return -1;
  // Digit groups inside a dashed identifier ("0000000b-0002-1000-8242-c9c0…", a UUID) are not one.
  if (gluedByDash(text, start - 1, start - 2) || gluedByDash(text, end, end + 1)) return -1;
  const withExtension = end < text.length ? extensionEnd(text, end) : end;
  return numberEndsAt(text, withExtension, ".:/-") ? withExtension : -1;
}

export const phone: Detector = {
  name: "phone",
  minLength: 8,
  requires: FEATURE.DIGITS_7,
  detect(text, _context, out) {
    for (const run of numericRuns(text)) {
      if (run.groups.length === 1 && !run.plus) continue;
      forEachAccepted(run, (s, e) => {
        const end = accept(text, run, s, e);
        if (end < 0) return false;
        const { start } = rangeOf(run, s, e);
        out.push({ start, end, kind: "phone" });
        return true;
      });
    }
  },
};
