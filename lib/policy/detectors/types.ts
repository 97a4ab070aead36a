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

/** Character counts of a short string, taken once so that most detectors need not run on it. */
export interface TextStats {
  digits: number;
  upper: number;
  at: boolean;
  colon: boolean;
  dash: boolean;
  underscore: boolean;
}

export interface Detector {
  name: DetectorName;
  /** The shortest string it can report: shorter strings are not even handed to it. */
  minLength: number;
  /** False when a (short) string with these counts cannot hold anything it reports. */
  plausible?: (stats: TextStats) => boolean;
  /** Appends the spans found in `text` to `out`. Must be linear-time in text.length. */
  detect(text: string, context: DetectorContext, out: Span[]): void;
}
