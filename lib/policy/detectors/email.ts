import type { Detector } from "./types.ts";

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

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;

function validDomain(domain: string): boolean {
  if (domain.length > 253) return false;
  const labels = domain.split(".");
  if (labels.length < 2) return false;
  return labels.every((label) => LABEL.test(label)) && TLD.test(labels[labels.length - 1]!);
}

export const email: Detector = {
  name: "email",
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
      const local = text.slice(start, at);
      if (!tooLong && local.length > 0 && !local.endsWith(".") && !local.includes("..") && validDomain(text.slice(at + 1, end))) {
        out.push({ start, end, kind: "email" });
        floor = end;
      }
      at = text.indexOf("@", at + 1);
    }
  },
};
