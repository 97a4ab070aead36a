import { tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// AWS access key ids: a four-letter type prefix and 16 characters (AKIA = long-term user key,
// ASIA = temporary STS key, ABIA/ACCA = STS service bearer/context keys, the others are ids of
// groups, roles, users, …). Real ids use base32 ([A-Z2-7]), but generated and redacted ones
// ("AKIA0123456789EXAMPLE", secret scanners' test data) use any upper-case letter or digit, and
// nothing else starts with one of these prefixes followed by 16 of them.
export const AWS_ACCESS_KEY = /(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}(?![A-Za-z0-9])/g;

export const awsAccessKey: Detector = {
  name: "aws-access-key",
  minLength: 20,
  requires: FEATURE.UPPER_4,
  detect(text, _context, out) {
    AWS_ACCESS_KEY.lastIndex = 0;
    for (let match = AWS_ACCESS_KEY.exec(text); match !== null; match = AWS_ACCESS_KEY.exec(text)) {
      // At least one letter after the prefix: "AKIA" and sixteen digits is a number, not a key id.
      if (!tokenStartsAt(text, match.index) || !/[A-Z]/.test(match[0].slice(4))) {
        AWS_ACCESS_KEY.lastIndex = match.index + 1;
        continue;
      }
      out.push({ start: match.index, end: match.index + match[0].length, kind: "aws-access-key" });
    }
  },
};
