import { Buffer } from "node:buffer";
import { isTokenCode, tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// JSON Web Tokens (JWS compact form): three base64url segments whose first one decodes to a JSON
// object with an "alg" — that check is what tells a JWT from any other dotted base64 string. The
// signature may be empty (alg "none").
// No trailing lookahead (see github-token.ts): the end is checked in code.
const JWT = /eyJ[A-Za-z0-9_-]{5,8000}\.[A-Za-z0-9_-]{2,65536}\.[A-Za-z0-9_-]{0,8000}/g;

export function jwtHeaderValid(segment: string): boolean {
  const json = Buffer.from(segment, "base64url").toString("utf8");
  // Cheap rejections before JSON.parse (whose failures are exceptions, which are slow).
  if (!json.endsWith("}") || !json.includes('"alg"')) return false;
  try {
    const header: unknown = JSON.parse(json);
    return typeof header === "object" && header !== null && typeof (header as { alg?: unknown }).alg === "string";
  } catch {
    return false;
  }
}

export const jwt: Detector = {
  name: "jwt",
  minLength: 12,
  requires: FEATURE.NONE,
  detect(text, _context, out) {
    // "yJ", not "eyJ": substring search scans for the first character, and "e" is everywhere.
    if (!text.includes("yJ")) return;
    JWT.lastIndex = 0;
    for (let match = JWT.exec(text); match !== null; match = JWT.exec(text)) {
      const end = match.index + match[0].length;
      // "_eyJ…" (markdown emphasis) is a JWT; the decoded header is what makes it one.
      if (!tokenStartsAt(text, match.index, "-") || (end < text.length && isTokenCode(text.charCodeAt(end)))) continue;
      const header = match[0].slice(0, match[0].indexOf("."));
      if (!jwtHeaderValid(header)) continue;
      out.push({ start: match.index, end, kind: "jwt" });
    }
  },
};
