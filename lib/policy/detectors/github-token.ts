import { isAlnumCode, tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// GitHub tokens: classic/OAuth/user-to-server/server-to-server/refresh (ghp_, gho_, ghu_, ghs_,
// ghr_ + 36 or more base62) and fine-grained personal access tokens (github_pat_ + 82 or more).
// No trailing lookahead: after a greedy bounded run it would backtrack through every shorter length
// on a long run; whether the token goes on is checked once, in code.
const GITHUB_TOKEN = /gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{82,244}/g;

export const githubToken: Detector = {
  name: "github-token",
  minLength: 40,
  requires: FEATURE.UNDERSCORE,
  detect(text, _context, out) {
    if (!text.includes("_")) return;
    GITHUB_TOKEN.lastIndex = 0;
    for (let match = GITHUB_TOKEN.exec(text); match !== null; match = GITHUB_TOKEN.exec(text)) {
      const end = match.index + match[0].length;
      // The prefix is distinctive enough that "_" around it is markdown or an identifier, not a longer token.
      if (!tokenStartsAt(text, match.index) || (end < text.length && isAlnumCode(text.charCodeAt(end)))) continue;
      out.push({ start: match.index, end, kind: "github-token" });
    }
  },
};
