// Character classes and boundary checks shared by the detectors (ASCII: the formats are ASCII).

export function isDigitCode(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function isAlnumCode(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** [A-Za-z0-9_] */
export function isWordCode(code: number): boolean {
  return isAlnumCode(code) || code === 95;
}

const CURRENCY = new Set(["$", "€", "£", "¥"]);

/**
 * Whether a number-like candidate may start at `start`: not glued to a letter or digit, not after
 * a currency sign (or "#", unless `afterHash`), and not the tail of a longer number ("1,234",
 * "10:15", "2026-11", "v1.2"). "_" is no glue (markdown emphasis, identifiers like "card_4111…"),
 * and a continuation character only continues a number after a digit: "ssn:123-45-6789",
 * "Jane,4111…" and "tel:+1…" start numbers.
 */
export function numberStartsAt(text: string, start: number, continuations = ".,:/-", afterHash = false): boolean {
  if (start === 0) return true;
  const prev = text.charCodeAt(start - 1);
  if (isAlnumCode(prev) || CURRENCY.has(text[start - 1]!) || (!afterHash && prev === 35)) return false;
  if (continuations.includes(text[start - 1]!) && start >= 2 && isDigitCode(text.charCodeAt(start - 2))) return false;
  return true;
}

/** Whether a number-like candidate may end at `end` (the number does not go on: "…-22T10", "…,5"). */
export function numberEndsAt(text: string, end: number, continuations = ".,:/-"): boolean {
  if (end >= text.length) return true;
  const next = text.charCodeAt(end);
  if (isAlnumCode(next) || next === 37 /* % */) return false;
  if (continuations.includes(text[end]!) && end + 1 < text.length && isDigitCode(text.charCodeAt(end + 1))) return false;
  return true;
}

/** [A-Za-z0-9_-]: the alphabet of base64url and of most API tokens. */
export function isTokenCode(code: number): boolean {
  return isWordCode(code) || code === 45;
}

/** The previous character is not part of a token made of [A-Za-z0-9] plus `extra`. */
export function tokenStartsAt(text: string, start: number, extra = ""): boolean {
  if (start === 0) return true;
  const prev = text.charCodeAt(start - 1);
  return !isAlnumCode(prev) && !extra.includes(text[start - 1]!);
}
