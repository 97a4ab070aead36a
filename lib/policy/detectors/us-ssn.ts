import { numberEndsAt, numberStartsAt } from "./chars.ts";
import { digitsRange, forEachAccepted, groupLength, numericRuns, runDigits, uniformSeparator } from "./numeric-runs.ts";
import { type Detector, FEATURE } from "./types.ts";

// US Social Security numbers: AAA-GG-SSSS with dashes or spaces always; nine bare digits only
// with a keyword nearby ("ssn", "social security") or in a property named like one, since nine
// digits alone are far more often something else. Numbers that were never issued are excluded:
// area 000, 666 and 900–999, group 00, serial 0000.

const KEYWORD_WINDOW = 48;
const KEYWORDS = ["ssn", "social security", "social-security", "socialsecurity", "social sec"];

export function validSsn(digits: string): boolean {
  const area = Number(digits.slice(0, 3));
  const group = Number(digits.slice(3, 5));
  const serial = Number(digits.slice(5));
  return area !== 0 && area !== 666 && area < 900 && group !== 0 && serial !== 0;
}

function keywordNear(text: string, start: number, key: string): boolean {
  if (key.includes("ssn") || key.includes("socialsecurity")) return true;
  const before = text.slice(Math.max(0, start - KEYWORD_WINDOW), start).toLowerCase();
  return KEYWORDS.some((keyword) => before.includes(keyword));
}

export const usSsn: Detector = {
  name: "us-ssn",
  minLength: 9,
  requires: FEATURE.DIGITS_9,
  detect(text, context, out) {
    for (const run of numericRuns(text)) {
      forEachAccepted(run, (s, e) => {
        const groups = run.groups;
        const bare = e - s === 1 && groupLength(groups, s) === 9;
        const dashed = e - s === 3 && groupLength(groups, s) === 3 && groupLength(groups, s + 1) === 2 && groupLength(groups, s + 2) === 4;
        if ((!bare && !dashed) || (s === 0 && run.plus)) return false;
        const sep = uniformSeparator(groups, s, e);
        if (sep === null || (dashed && sep !== "-" && sep !== " " && sep !== "+")) return false;
        const { start, end } = digitsRange(run, s, e);
        // "SSN#123456789" and CSV fields ("Jane,123-45-6789,NY") count; "1.123-45-6789" does not.
        if (!numberStartsAt(text, start, ".", true) || !numberEndsAt(text, end, ".")) return false;
        if (!validSsn(runDigits(text, groups, s, e))) return false;
        if (bare && !keywordNear(text, start, context.key)) return false;
        out.push({ start, end, kind: "us-ssn" });
        return true;
      });
    }
  },
};
