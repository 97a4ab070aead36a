import { isAlnumCode, isDigitCode } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// IBANs: country code, two check digits and a BBAN whose length is fixed per country, written
// compact or with single spaces (usually groups of four); the whole must satisfy mod-97 = 1
// (ISO 13616), which a random string passes about once in 97 tries. Uppercase only, as printed
// and as banks' APIs return them.

/** IBAN length per country (SWIFT IBAN registry). */
export const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

export function ibanChecksumValid(compact: string): boolean {
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const code = rearranged.charCodeAt(i);
    const value = isDigitCode(code) ? code - 48 : code - 55; // A = 10 … Z = 35
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder === 1;
}

function isUpperAlnum(code: number): boolean {
  return isDigitCode(code) || (code >= 65 && code <= 90);
}

/**
 * Reads an IBAN of `length` characters at `start`, allowing a single space between any two of
 * them (printed groups of four, but also "DE89 370400440532013000"); returns its end or -1.
 */
function readIban(text: string, start: number, length: number): { end: number; compact: string } | -1 {
  let compact = text.slice(start, start + 4);
  let pos = start + 4;
  while (compact.length < length) {
    if (text.charCodeAt(pos) === 32) pos++;
    if (!isUpperAlnum(text.charCodeAt(pos))) return -1;
    compact += text[pos];
    pos++;
  }
  if (pos < text.length && isAlnumCode(text.charCodeAt(pos))) return -1;
  return { end: pos, compact };
}

const START = /[A-Z]{2}\d{2}/g;

export const iban: Detector = {
  name: "iban",
  minLength: 15,
  requires: FEATURE.IBAN,
  detect(text, _context, out) {
    START.lastIndex = 0;
    for (let match = START.exec(text); match !== null; match = START.exec(text)) {
      const start = match.index;
      const length = IBAN_LENGTHS[match[0].slice(0, 2)];
      if (length === undefined || (start > 0 && isAlnumCode(text.charCodeAt(start - 1)))) {
        START.lastIndex = start + 1;
        continue;
      }
      const read = readIban(text, start, length);
      if (read === -1 || !ibanChecksumValid(read.compact)) {
        START.lastIndex = start + 1;
        continue;
      }
      out.push({ start, end: read.end, kind: "iban" });
      START.lastIndex = read.end;
    }
  },
};
