import { isTokenCode, tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// OpenAI API keys: legacy sk-<48 base62>, project keys sk-proj-…, service-account keys
// sk-svcacct-… and admin keys sk-admin-… (base64url bodies, 40–200+ characters). The body must
// mix upper case, lower case and digits like a random key does, so hyphenated words that happen to
// start with "sk-" are left alone. Stripe keys use "sk_" and never match.
// No trailing lookahead (see github-token.ts): the end is checked in code.
const OPENAI_KEY = /sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{32,300}/g;

function random(body: string): boolean {
  return /[A-Z]/.test(body) && /[a-z]/.test(body) && /[0-9]/.test(body);
}

export const openaiKey: Detector = {
  name: "openai-key",
  minLength: 35,
  requires: FEATURE.DASH,
  detect(text, _context, out) {
    if (!text.includes("k-")) return; // not "sk-": searching for a rare first character is faster
    OPENAI_KEY.lastIndex = 0;
    for (let match = OPENAI_KEY.exec(text); match !== null; match = OPENAI_KEY.exec(text)) {
      const end = match.index + match[0].length;
      if (!tokenStartsAt(text, match.index, "-") || (end < text.length && isTokenCode(text.charCodeAt(end))) || !random(match[0].slice(3)))
        continue;
      out.push({ start: match.index, end, kind: "openai-key" });
    }
  },
};
