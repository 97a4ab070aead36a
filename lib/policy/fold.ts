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

/**
 * Whether `text` has anything to fold; most strings have not. Non-ASCII is found by the UTF-8 length
 * (native, much faster than a regex scan), "%XX" by searching for "%".
 */
export function needsFold(text: string): boolean {
  if (Buffer.byteLength(text, "utf8") !== text.length) return true;
  for (let at = text.indexOf("%"); at >= 0; at = text.indexOf("%", at + 1)) {
    if (hexValue(text.charCodeAt(at + 1)) >= 0 && hexValue(text.charCodeAt(at + 2)) >= 0) return true;
  }
  return false;
}

export interface Folded {
  text: string;
  /** For each UTF-16 unit of `text`, the original range it came from. */
  from: number[];
  to: number[];
  /** Whether a default-ignorable character was met (then the other view is worth a look too). */
  hadInvisible: boolean;
  /**
   * Whether ASCII was changed ("%XX"): "%2B" may be literal text, so the original is worth a look
   * as well.
   */
  changedAscii: boolean;
}

const IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const SPACE = /^[\p{Zs}\u2028\u2029]$/u;
const DASH = /^[\p{Pd}\u2212]$/u;
const DIGIT = /^\p{Nd}$/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const INVISIBLE = "\u0000"; // marker in the cache: default-ignorable

const cache = new Map<number, string>();

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
 * ("drop") or a space ("space").
 */
export function fold(text: string, invisible: "drop" | "space" = "drop"): Folded {
  const n = text.length;
  let out = "";
  const from: number[] = [];
  const to: number[] = [];
  let hadInvisible = false;
  let changedAscii = false;
  const push = (piece: string, start: number, end: number) => {
    for (let k = 0; k < piece.length; k++) {
      from.push(start);
      to.push(end);
    }
    out += piece;
  };
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    if (code < 128) {
      const byte = code === 37 ? percentByte(text, i) : -1;
      if (byte >= 0 && byte < 128) {
        // "%XX" of an ASCII character
        push(byte >= 32 || byte === 10 || byte === 13 || byte === 9 ? String.fromCharCode(byte) : " ", i, i + 3);
        changedAscii = true;
        i += 3;
        continue;
      }
      if (byte >= 0) {
        // "%E2%80%8B": a UTF-8 sequence, folded like the character itself
        const decoded = percentUtf8(text, i, byte);
        if (decoded !== null) {
          const folded = foldCodePoint(decoded.codePoint);
          if (folded === INVISIBLE) {
            hadInvisible = true;
            if (invisible === "space") push(" ", i, decoded.end);
          } else {
            push(folded, i, decoded.end);
          }
          changedAscii = true;
          i = decoded.end;
          continue;
        }
      }
      push(text[i]!, i, i + 1);
      i++;
      continue;
    }
    const codePoint = text.codePointAt(i)!;
    const width = codePoint > 0xffff ? 2 : 1;
    const folded = foldCodePoint(codePoint);
    if (folded === INVISIBLE) {
      hadInvisible = true;
      if (invisible === "space") push(" ", i, i + width);
    } else {
      push(folded, i, i + width);
    }
    i += width;
  }
  return { text: out, from, to, hadInvisible, changedAscii };
}
