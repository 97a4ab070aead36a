import type { Span } from "./detectors/types.ts";
import type { Region } from "./replace.ts";

/**
 * Overlapping spans (a JWT inside a bearer token, a phone number inside an IBAN) become one span
 * covering all of them, so no part of either leaks; it takes the kind of its longest member (the
 * earliest on a tie). Touching spans stay separate.
 */
export function mergeSpans<T extends Span>(spans: T[]): T[] {
  if (spans.length < 2) return spans;
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: T[] = [];
  let winner = sorted[0]!;
  let start = winner.start;
  let end = winner.end;
  for (let i = 1; i < sorted.length; i++) {
    const span = sorted[i]!;
    if (span.start < end) {
      if (span.end - span.start > winner.end - winner.start) winner = span;
      if (span.end > end) end = span.end;
    } else {
      merged.push({ ...winner, start, end });
      winner = span;
      start = span.start;
      end = span.end;
    }
  }
  merged.push({ ...winner, start, end });
  return merged;
}

/** Drops spans that touch a replacement token or lie inside a partial mask (see maskedRegions). */
export function withoutMasked<T extends Span>(spans: T[], regions: { tokens: Region[]; partials: Region[] }): T[] {
  return spans.filter(
    (span) =>
      !regions.tokens.some((r) => span.start < r.end && r.start < span.end) &&
      !regions.partials.some((r) => r.start <= span.start && span.end <= r.end),
  );
}
