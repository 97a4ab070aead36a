import type { DetectorName } from "../schema.ts";

/** A half-open range [start, end) of UTF-16 offsets in the scanned string, and what it is. */
export interface Span {
  start: number;
  end: number;
  kind: string;
}

export interface DetectorContext {
  /**
   * The property that holds the string (nearest named ancestor), normalized by normalizeKey ("" at
   * the root or inside arrays of arrays). Detectors that need a nearby keyword (bare 9-digit SSNs,
   * AWS secret keys) also accept it here: {"ssn": "123456789"} carries its context in the key.
   */
  key: string;
}

/**
 * What a short string has, as bits: counted once per string so that most detectors need not even
 * be called on it (a detector declares the one feature it cannot do without).
 */
export const FEATURE = {
  NONE: 0,
  AT: 1,
  DIGITS_7: 2,
  DIGITS_9: 4,
  DIGITS_13: 8,
  /** 2+ upper-case letters and 2+ digits (an IBAN's country and check digits). */
  IBAN: 16,
  /** 4+ digits or a ":" (IPv4 or IPv6). */
  IP: 32,
  UPPER_4: 64,
  UNDERSCORE: 128,
  DASH: 256,
  /** "-" or ":" (a token or a URL). */
  DASH_OR_COLON: 512,
} as const;

export interface Detector {
  name: DetectorName;
  /** The shortest string it can report: shorter strings are not even handed to it. */
  minLength: number;
  /** A FEATURE that a (short) string must have for this detector to find anything in it. */
  requires: number;
  /** Appends the spans found in `text` to `out`. Must be linear-time in text.length. */
  detect(text: string, context: DetectorContext, out: Span[]): void;
}
