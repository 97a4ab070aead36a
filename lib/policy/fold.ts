import { Buffer } from "node:buffer";

// A view of a string in which look-alike spellings of the ASCII formats the detectors know are
// ASCII again, with a map back to the original offsets: a card number written in full-width
// digits, an email with a zero-width space inside, an IBAN grouped with no-break spaces or a key
// percent-encoded in a URL is read by a person or a model exactly like its ASCII form, so it is
// found like it.
//   - Unicode spaces (Zs: NBSP, narrow NBSP, thin, ideographic…) and line/paragraph separators → " "
//   - Unicode dashes (Pd) and the minus sign → "-"
//   - decimal digits of any script (Nd: Arabic-Indic, Devanagari, full-width…) → "0"–"9"
//   - anything whose NFKC form is printable ASCII (full-width letters and symbols, ligatures,
//     circled digits…) → that ASCII
//   - default-ignorable code points (zero-width space/joiners, word joiner, BOM, soft hyphen,
//     bidi controls, variation selectors) → removed, or, in the second view, a space: "x\u200B4111…"
//     must not glue a word to a number, and "4111\u200B1111…" must not split one
//   - "%XX" escapes (URLs, form bodies) → the character, folded like the others (UTF-8 sequences
//     such as "%EF%BC%94" or "%E2%80%8B" included)
// Look-alike letters of other scripts (Cyrillic "о" for Latin "o") are not folded: NFKC keeps them.

const NON_ASCII = /[\u0080-\uffff]/;

function hasPercentEscape(text: string): boolean {
  for (let at = text.indexOf("%"); at >= 0; at = text.indexOf("%", at + 1)) {
    if (hexValue(text.charCodeAt(at + 1)) >= 0 && hexValue(text.charCodeAt(at + 2)) >= 0) return true;
  }
  return false;
}

/**
 * Whether `text` has anything to fold: "%XX" or a character outside ASCII; most strings have
 * neither. Non-ASCII text usually shows it early (a regex on the first 256 characters); the UTF-8
 * length then settles the rest (native, and fast for the common one-byte strings).
 */
export function needsFold(text: string): boolean {
  if (text.length > 256 && NON_ASCII.test(text.slice(0, 256))) return true;
  return Buffer.byteLength(text, "utf8") !== text.length || hasPercentEscape(text);
}

export interface Folded {
  text: string;
  /**
   * Where the folded text differs from the original, in order: folded [at, at + length) stands for
   * original [from, to). Between edits the two are the same text, shifted.
   */
  edits: Edit[];
  /** Whether a default-ignorable character was met (then the other view is worth a look too). */
  hadInvisible: boolean;
  /**
   * Whether ASCII was changed ("%XX"): "%2B" may be literal text, so the original is worth a look
   * as well.
   */
  changedAscii: boolean;
}

export interface Edit {
  at: number;
  length: number;
  from: number;
  to: number;
}

/** The last edit at or before folded offset `p`, or -1. */
function editAt(edits: Edit[], p: number): number {
  let low = 0;
  let high = edits.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (edits[mid]!.at <= p) {
      found = mid;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

/** The original offset where a span starting at folded offset `p` starts. */
export function originalStart(folded: Folded, p: number): number {
  const k = editAt(folded.edits, p);
  if (k < 0) return p;
  const edit = folded.edits[k]!;
  return p < edit.at + edit.length ? edit.from : edit.to + (p - edit.at - edit.length);
}

/** The original offset where a span ending (exclusive) at folded offset `p` > 0 ends. */
export function originalEnd(folded: Folded, p: number): number {
  const last = p - 1;
  const k = editAt(folded.edits, last);
  if (k < 0) return p;
  const edit = folded.edits[k]!;
  return last < edit.at + edit.length ? edit.to : edit.to + (last - edit.at - edit.length) + 1;
}

const IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const SPACE = /^[\p{Zs}\u2028\u2029]$/u;
const DASH = /^[\p{Pd}\u2212]$/u;
const DIGIT = /^\p{Nd}$/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const INVISIBLE = "\u0000"; // marker in the cache: default-ignorable

const cache = new Map<number, string>();
/** BMP code units known to fold to themselves (most non-ASCII letters): no lookup at all. */
const UNCHANGED = new Uint8Array(65536);

/** The value of a decimal digit of any script: Unicode encodes each set as ten code points 0…9. */
function digitValue(codePoint: number): number {
  let zero = codePoint;
  while (zero > 0 && codePoint - zero < 9 && DIGIT.test(String.fromCodePoint(zero - 1))) zero--;
  // Blocks of digits can sit back to back (mathematical digits): count within tens.
  return (codePoint - zero) % 10;
}

function foldCodePoint(codePoint: number): string {
  let folded = cache.get(codePoint);
  if (folded !== undefined) return folded;
  const char = String.fromCodePoint(codePoint);
  if (IGNORABLE.test(char)) folded = INVISIBLE;
  else if (SPACE.test(char)) folded = " ";
  else if (DASH.test(char)) folded = "-";
  else if (DIGIT.test(char)) folded = String(digitValue(codePoint));
  else {
    const nfkc = char.normalize("NFKC");
    folded = nfkc !== char && nfkc.length <= 4 && PRINTABLE_ASCII.test(nfkc) ? nfkc : char;
  }
  if (cache.size < 4096) cache.set(codePoint, folded);
  return folded;
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** The byte of a "%XX" escape at `i`, or -1. */
function percentByte(text: string, i: number): number {
  if (text.charCodeAt(i) !== 37) return -1;
  const high = hexValue(text.charCodeAt(i + 1));
  const low = hexValue(text.charCodeAt(i + 2));
  return high >= 0 && low >= 0 ? high * 16 + low : -1;
}

/** A percent-encoded UTF-8 sequence of 2–4 bytes starting with `first` at `i`, or null. */
function percentUtf8(text: string, i: number, first: number): { codePoint: number; end: number } | null {
  const length = first >= 0xc2 && first <= 0xdf ? 2 : first >= 0xe0 && first <= 0xef ? 3 : first >= 0xf0 && first <= 0xf4 ? 4 : 0;
  if (length === 0) return null;
  let codePoint = first & (0xff >> (length + 1));
  for (let k = 1; k < length; k++) {
    const next = percentByte(text, i + 3 * k);
    if (next < 0x80 || next > 0xbf) return null;
    codePoint = (codePoint << 6) | (next & 0x3f);
  }
  if (codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return null;
  return { codePoint, end: i + 3 * length };
}

/**
 * The folded view of `text`; `invisible` says what a default-ignorable character becomes: nothing
 * ("drop") or a space ("space"). Unchanged stretches are copied whole, so the cost is one pass of
 * character checks plus the edits.
 */
export function fold(text: string, invisible: "drop" | "space" = "drop"): Folded {
  const n = text.length;
  const parts: string[] = [];
  const edits: Edit[] = [];
  let copied = 0;
  let length = 0;
  let hadInvisible = false;
  let changedAscii = false;
  const replace = (start: number, end: number, piece: string) => {
    if (start > copied) {
      parts.push(text.slice(copied, start));
      length += start - copied;
    }
    edits.push({ at: length, length: piece.length, from: start, to: end });
    parts.push(piece);
    length += piece.length;
    copied = end;
  };
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code < 128) {
      const byte = code === 37 ? percentByte(text, i) : -1;
      if (byte >= 0 && byte < 128) {
        // "%XX" of an ASCII character
        replace(i, i + 3, byte >= 32 || byte === 10 || byte === 13 || byte === 9 ? String.fromCharCode(byte) : " ");
        changedAscii = true;
        i += 3;
        continue;
      }
      if (byte >= 0) {
        // "%E2%80%8B": a UTF-8 sequence, folded like the character itself
        const decoded = percentUtf8(text, i, byte);
        if (decoded !== null) {
          const folded = foldCodePoint(decoded.codePoint);
          if (folded === INVISIBLE) hadInvisible = true;
          replace(i, decoded.end, folded === INVISIBLE ? (invisible === "space" ? " " : "") : folded);
          changedAscii = true;
          i = decoded.end;
          continue;
        }
      }
      i++;
      continue;
    }
    if (UNCHANGED[code] === 1) {
      i++;
      continue;
    }
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const folded = foldCodePoint(codePoint);
    if (folded === INVISIBLE) {
      hadInvisible = true;
      replace(i, i + width, invisible === "space" ? " " : "");
    } else if (width === 1 && folded.length === 1 && folded.charCodeAt(0) === code) {
      UNCHANGED[code] = 1;
    } else if (folded !== text.slice(i, i + width)) {
      replace(i, i + width, folded);
    }
    i += width;
  }
  if (edits.length === 0) return { text, edits, hadInvisible, changedAscii };
  if (copied < n) parts.push(text.slice(copied));
  return { text: parts.join(""), edits, hadInvisible, changedAscii };
}
