import { type Detector, FEATURE } from "./types.ts";

// Email addresses: found from each "@" outwards rather than by a regex that would be retried at
// every letter of the text. Local part: [A-Za-z0-9._%+'-] and letters, marks and digits of any
// script (RFC 6531), 1–64, no leading, trailing or doubled dot, or a quoted local part
// ("john doe"@example.com, also JSON-escaped). Domain: at least two labels of [A-Za-z0-9-] or
// letters of any script (IDN, 1–63, no leading or trailing "-") and a TLD of 2+ letters (or an
// xn-- label).

const LOCAL = new Uint8Array(128);
const DOMAIN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
  LOCAL[c.charCodeAt(0)] = 1;
  DOMAIN[c.charCodeAt(0)] = 1;
}
for (const c of "._%+-'") LOCAL[c.charCodeAt(0)] = 1;
for (const c of ".-") DOMAIN[c.charCodeAt(0)] = 1;

// Non-ASCII: a letter, mark or digit of any script (not a surrogate: emoji are no address).
const WORD = /^[\p{L}\p{M}\p{Nd}]$/u;
const NON_ASCII = new Uint8Array(65536); // 0 unknown, 1 word character, 2 not
function isUnicodeWord(code: number): boolean {
  if (code < 128 || (code >= 0xd800 && code <= 0xdfff)) return false;
  if (NON_ASCII[code] === 0) NON_ASCII[code] = WORD.test(String.fromCharCode(code)) ? 1 : 2;
  return NON_ASCII[code] === 1;
}

function isIn(table: Uint8Array, code: number): boolean {
  return code < 128 ? table[code] === 1 : isUnicodeWord(code);
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || isUnicodeWord(code);
}

/**
 * The start of a quoted local part ending right before `at` ("john doe"@x, or \"john doe\"@x
 * inside JSON-escaped text), or -1.
 */
function quotedLocalStart(text: string, at: number, floor: number): number {
  if (text.charCodeAt(at - 1) !== 34) return -1;
  const escaped = text.charCodeAt(at - 2) === 92;
  const close = escaped ? at - 2 : at - 1;
  const limit = Math.max(floor, close - 65);
  for (let i = close - 1; i >= limit; i--) {
    const code = text.charCodeAt(i);
    if (code < 32 || (code === 92 && !(escaped && text.charCodeAt(i + 1) === 34))) return -1;
    if (code !== 34) continue;
    const open = escaped ? i - 1 : i;
    if (escaped && text.charCodeAt(open) !== 92) return -1;
    return i === close - 1 ? -1 : open;
  }
  return -1;
}

/** Labels of 1–63 [A-Za-z0-9-] not starting or ending with "-", 2+ labels, TLD letters or xn--. */
function validDomain(text: string, start: number, end: number): boolean {
  if (end - start > 253) return false;
  let labelStart = start;
  let labels = 0;
  let tldLetters = true;
  for (let i = start; i <= end; i++) {
    const code = i < end ? text.charCodeAt(i) : 46;
    if (code !== 46) {
      if (!isLetter(code)) tldLetters = false;
      continue;
    }
    const length = i - labelStart;
    if (length < 1 || length > 63 || text.charCodeAt(labelStart) === 45 || text.charCodeAt(i - 1) === 45) return false;
    labels++;
    if (i < end) {
      labelStart = i + 1;
      tldLetters = true;
    }
  }
  if (labels < 2) return false;
  const tldLength = end - labelStart;
  return (tldLetters && tldLength >= 2) || text.startsWith("xn--", labelStart);
}

export const email: Detector = {
  name: "email",
  minLength: 6,
  requires: FEATURE.AT,
  detect(text, _context, out) {
    let at = text.indexOf("@");
    let floor = 0; // never start a local part inside the previous match
    while (at >= 0) {
      let start = at;
      let quoted = false;
      const quotedStart = at > 2 ? quotedLocalStart(text, at, floor) : -1;
      if (quotedStart >= 0) {
        start = quotedStart;
        quoted = true;
      }
      while (!quoted && start > floor && at - start < 65 && isIn(LOCAL, text.charCodeAt(start - 1))) start--;
      const tooLong = !quoted && start > floor && isIn(LOCAL, text.charCodeAt(start - 1));
      while (start < at && (text.charCodeAt(start) === 46 || text.charCodeAt(start) === 39)) start++; // leading "." or "'"
      let end = at + 1;
      while (end < text.length && end - at <= 254 && isIn(DOMAIN, text.charCodeAt(end))) end++;
      while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--; // trailing "." / "-"
      // A sentence that goes on without a space ("…@example.com.Next") glues a word to the
      // domain: drop trailing labels (at most two) until the domain is valid.
      for (let tries = 0; tries < 2 && !validDomain(text, at + 1, end); tries++) {
        const dot = text.lastIndexOf(".", end - 1);
        if (dot <= at + 1) break;
        end = dot;
      }
      if (
        !tooLong &&
        start < at &&
        (quoted || (text.charCodeAt(at - 1) !== 46 && !text.slice(start, at).includes(".."))) &&
        validDomain(text, at + 1, end)
      ) {
        out.push({ start, end, kind: "email" });
        floor = end;
      }
      at = text.indexOf("@", at + 1);
    }
  },
};
