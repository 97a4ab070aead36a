import { type Detector, FEATURE } from "./types.ts";

// Email addresses (ASCII): found from each "@" outwards rather than by a regex that would be
// retried at every letter of the text. Local part: [A-Za-z0-9._%+-], 1–64, no leading, trailing
// or doubled dot. Domain: at least two labels of [A-Za-z0-9-] (1–63, no leading or trailing "-")
// and an alphabetic TLD of 2+ letters (or an xn-- label).

const LOCAL = new Uint8Array(128);
const DOMAIN = new Uint8Array(128);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") {
  LOCAL[c.charCodeAt(0)] = 1;
  DOMAIN[c.charCodeAt(0)] = 1;
}
for (const c of "._%+-") LOCAL[c.charCodeAt(0)] = 1;
for (const c of ".-") DOMAIN[c.charCodeAt(0)] = 1;

function isIn(table: Uint8Array, code: number): boolean {
  return code < 128 && table[code] === 1;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
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
      while (start > floor && at - start < 65 && isIn(LOCAL, text.charCodeAt(start - 1))) start--;
      const tooLong = start > floor && isIn(LOCAL, text.charCodeAt(start - 1));
      while (start < at && text.charCodeAt(start) === 46) start++; // leading "."
      let end = at + 1;
      while (end < text.length && end - at <= 254 && isIn(DOMAIN, text.charCodeAt(end))) end++;
      while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--; // trailing "." / "-"
      if (
        !tooLong &&
        start < at &&
        text.charCodeAt(at - 1) !== 46 &&
        !text.slice(start, at).includes("..") &&
        validDomain(text, at + 1, end)
      ) {
        out.push({ start, end, kind: "email" });
        floor = end;
      }
      at = text.indexOf("@", at + 1);
    }
  },
};
