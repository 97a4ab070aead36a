import { tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// AWS access key ids: a four-letter type prefix and 16 base32 characters (AKIA = long-term user
// key, ASIA = temporary STS key, the others are ids of groups, roles, users, …).
export const AWS_ACCESS_KEY = /(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}(?![A-Za-z0-9])/g;

export const awsAccessKey: Detector = {
  name: "aws-access-key",
  minLength: 20,
  requires: FEATURE.UPPER_4,
  detect(text, _context, out) {
    AWS_ACCESS_KEY.lastIndex = 0;
    for (let match = AWS_ACCESS_KEY.exec(text); match !== null; match = AWS_ACCESS_KEY.exec(text)) {
      if (!tokenStartsAt(text, match.index)) {
        AWS_ACCESS_KEY.lastIndex = match.index + 1;
        continue;
      }
      out.push({ start: match.index, end: match.index + match[0].length, kind: "aws-access-key" });
    }
  },
};
