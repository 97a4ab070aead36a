import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import type { MaskStyle } from "./schema.ts";

// Replacement text for a masked value, and recognition of text that is already a replacement
// (so that masking masked output changes nothing).

const SEPARATORS = new Set([" ", "\t", "\n", "\r", "-", ".", ":", "/", "@", "_"]);
const PARTIAL_KEEP = 4;
const PARTIAL_MIN = 8;

/**
 * `partial`: the last four non-separator characters stay, every other non-separator character
 * becomes "*", separators stay ("4111 1111 1111 1111" → "**** **** **** 1111"); values with fewer
 * than eight such characters are starred entirely, since four of them would be half the secret.
 */
export function partialMask(value: string): string {
  // Code points, not UTF-16 units: a kept or starred emoji stays one character.
  const chars = Array.from(value);
  let significant = 0;
  for (const c of chars) if (!SEPARATORS.has(c)) significant++;
  let starred = significant < PARTIAL_MIN ? significant : significant - PARTIAL_KEEP;
  let out = "";
  for (const c of chars) {
    if (SEPARATORS.has(c)) {
      out += c;
    } else if (starred > 0) {
      out += "*";
      starred--;
    } else {
      out += c;
    }
  }
  return out;
}

/**
 * Keyed, not a plain hash: the same value gives the same token across messages and sessions (an
 * auditor can correlate), but without the key nobody can confirm a guess — an unkeyed hash of a
 * nine-digit SSN is reversed by trying all 10⁹ values.
 */
export class Hasher {
  private readonly key: KeyObject;

  constructor(key: Uint8Array) {
    this.key = createSecretKey(key);
  }

  token(value: string): string {
    return createHmac("sha256", this.key).update(value, "utf8").digest("hex").slice(0, 12);
  }
}

export function replacement(style: MaskStyle, kind: string, value: string, hasher: Hasher): string {
  if (style === "partial") return partialMask(value);
  if (style === "hash") return `[HASH:${kind}:${hasher.token(value)}]`;
  return `[REDACTED:${kind}]`;
}

const TOKEN = /^\[(?:REDACTED|HASH):[^\]\s]{1,200}\]$/;
const TOKENS = /\[(?:REDACTED|HASH):[^\]\s]{1,200}\]/g;
// Output of partialMask: at least four stars (separators in between), then at most four kept
// characters (separators in between).
const PARTIAL = /\*[*\t\n\r .:/@_-]*(?:[^*\t\n\r .:/@_-][\t\n\r .:/@_-]*){0,4}/g;

/** The whole value is a replacement token (whole-value rules leave it as it is). */
export function isMaskToken(value: string): boolean {
  return value.length >= 11 && value.charCodeAt(0) === 91 && TOKEN.test(value);
}

export interface Region {
  start: number;
  end: number;
}

/**
 * Ranges of `text` that earlier masking produced. A span that touches a token, or lies inside a
 * partial mask, is dropped: re-masking "[REDACTED:email]" with an admin regex like `[A-Z]+`, or
 * the four kept characters of "************1111", would otherwise change masked output again.
 */
export function maskedRegions(text: string): { tokens: Region[]; partials: Region[] } | null {
  const hasToken = text.includes("[REDACTED:") || text.includes("[HASH:");
  // Not "****": separators may split the stars ("***:*:***c::9bf" is a partial IPv6 address).
  const hasStars = text.includes("*");
  if (!hasToken && !hasStars) return null;
  const tokens: Region[] = [];
  const partials: Region[] = [];
  if (hasToken) {
    TOKENS.lastIndex = 0;
    for (let m = TOKENS.exec(text); m !== null; m = TOKENS.exec(text)) tokens.push({ start: m.index, end: m.index + m[0].length });
  }
  if (hasStars) {
    PARTIAL.lastIndex = 0;
    for (let m = PARTIAL.exec(text); m !== null; m = PARTIAL.exec(text)) {
      let stars = 0;
      for (let i = 0; i < m[0].length && stars < 4; i++) if (m[0].charCodeAt(i) === 42) stars++;
      if (stars >= 4) partials.push({ start: m.index, end: m.index + m[0].length });
    }
  }
  return { tokens, partials };
}
