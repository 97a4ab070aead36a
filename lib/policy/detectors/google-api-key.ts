import { isAlnumCode, tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// Google API keys (Maps, Firebase, Gemini, YouTube…): "AIza" and 35 characters of base64url.
// No trailing lookahead (see github-token.ts): the end is checked in code.
const GOOGLE_API_KEY = /AIza[A-Za-z0-9_-]{35}/g;

export const googleApiKey: Detector = {
  name: "google-api-key",
  minLength: 39,
  requires: FEATURE.NONE,
  detect(text, _context, out) {
    if (!text.includes("AIza")) return;
    GOOGLE_API_KEY.lastIndex = 0;
    for (let match = GOOGLE_API_KEY.exec(text); match !== null; match = GOOGLE_API_KEY.exec(text)) {
      const end = match.index + match[0].length;
      if (!tokenStartsAt(text, match.index, "-") || (end < text.length && isAlnumCode(text.charCodeAt(end)))) continue;
      out.push({ start: match.index, end, kind: "google-api-key" });
    }
  },
};
