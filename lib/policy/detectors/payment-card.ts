import { numberEndsAt, numberStartsAt } from "./chars.ts";
import {
  type DigitGroup,
  digitCount,
  digitsRange,
  forEachAccepted,
  groupLength,
  numericRuns,
  runDigits,
  uniformSeparator,
} from "./numeric-runs.ts";
import { type Detector, FEATURE } from "./types.ts";

// Payment card numbers (PAN): 13–19 digits, bare or in the printed groupings (4-4-4-4[-1..3],
// Amex 4-6-5, Diners 4-6-4) with one kind of separator, a known issuer prefix with a length that
// issuer uses, and a valid Luhn check digit. A random 16-digit order number passes all of that
// with probability well under 1%.

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function between(value: number, low: number, high: number): boolean {
  return value >= low && value <= high;
}

/** Whether the issuer identified by the leading digits issues numbers of this length. */
export function knownIssuer(digits: string): boolean {
  const n = digits.length;
  const p1 = digits.charCodeAt(0) - 48;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (p1 === 4) return n === 13 || n === 16 || n === 19; // Visa
  if (between(p2, 51, 55) || between(p4, 2221, 2720)) return n === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return n === 15; // American Express
  if (p4 === 6011 || p2 === 65 || between(p3, 644, 649)) return between(n, 16, 19); // Discover
  if (between(p4, 3528, 3589)) return between(n, 16, 19); // JCB
  if (between(p3, 300, 305) || p2 === 36 || p2 === 38 || p2 === 39 || p4 === 3095) return between(n, 14, 19); // Diners Club
  if (p4 === 2131 || p4 === 1800) return n === 15; // JCB (15 digits)
  if (p2 === 62 || p2 === 81) return between(n, 16, 19); // UnionPay
  if (between(p4, 2200, 2204)) return between(n, 16, 19); // Mir
  if (between(p3, 637, 639)) return n === 16; // InstaPayment
  if (p4 === 9792) return n === 16; // Troy
  if (p2 === 60 || p2 === 82 || p3 === 508) return n === 16; // RuPay
  if ([6706, 6709, 6771].includes(p4)) return between(n, 16, 19); // Laser (6304 is Maestro too: below)
  if (p4 === 6334 || p4 === 6767) return n === 16 || n === 18 || n === 19; // Solo
  if (between(p2, 56, 58) || p2 === 50 || p2 === 67 || [6304, 6390, 604].includes(p4)) return between(n, 13, 19); // Maestro
  return false;
}

function groupingAllowed(groups: DigitGroup[], s: number, e: number): boolean {
  const count = e - s;
  if (count === 1) return true;
  if (count < 3) return false;
  const last = groupLength(groups, e - 1);
  if (count === 3 && groupLength(groups, s) === 4 && groupLength(groups, s + 1) === 6 && (last === 4 || last === 5)) return true;
  for (let i = s; i < e - 1; i++) if (groupLength(groups, i) !== 4) return false;
  return last >= 1 && last <= 4;
}

export const paymentCard: Detector = {
  name: "payment-card",
  minLength: 13,
  requires: FEATURE.DIGITS_13,
  detect(text, _context, out) {
    for (const run of numericRuns(text)) {
      forEachAccepted(
        run,
        (s, e) => {
          const groups = run.groups;
          const count = digitCount(groups, s, e);
          if (count < 13 || count > 19 || (s === 0 && run.plus)) return false;
          const sep = uniformSeparator(groups, s, e);
          if (sep === null || sep === "." || !groupingAllowed(groups, s, e)) return false;
          const digits = runDigits(text, groups, s, e);
          const { start, end } = digitsRange(run, s, e);
          // Issuer, length and Luhn make a card precise enough that only a decimal point continues
          // it: "#4111…", "Jane,4111…,12/30" and "42,4111…" (CSV) are cards.
          if (!numberStartsAt(text, start, ".", true) || !numberEndsAt(text, end, ".")) return false;
          if (!knownIssuer(digits) || !luhnValid(digits)) return false;
          out.push({ start, end, kind: "payment-card" });
          return true;
        },
        true,
      );
    }
  },
};
