import { Buffer } from "node:buffer";
import { isTokenCode, tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// JSON Web Tokens (JWS compact form): three base64url segments whose first one decodes to a JSON
// object with an "alg" — that check is what tells a JWT from any other dotted base64 string. The
// signature may be empty (alg "none").
// Scanned by hand rather than with a regex: a regex retried at every "eyJ" of "eyJeyJeyJ…" would
// rescan up to 8,000 characters each time. Here a failed candidate skips the whole run it read.

function tokenRunEnd(text: string, from: number, max: number): number {
  let end = from;
  const limit = Math.min(text.length, from + max + 1);
  while (end < limit && isTokenCode(text.charCodeAt(end))) end++;
  return end;
}

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
    let at = text.indexOf("eyJ");
    while (at >= 0) {
      if (!tokenStartsAt(text, at, "-")) {
        at = text.indexOf("eyJ", at + 1);
        continue;
      }
      const headerEnd = tokenRunEnd(text, at + 3, 8000);
      const headerLength = headerEnd - at - 3;
      if (headerLength < 5 || headerLength > 8000 || text.charCodeAt(headerEnd) !== 46) {
        // No start inside this run can do better: its header would end at the same place.
        at = text.indexOf("eyJ", Math.max(headerEnd, at + 1));
        continue;
      }
      const payloadEnd = tokenRunEnd(text, headerEnd + 1, 65536);
      const payloadLength = payloadEnd - headerEnd - 1;
      if (payloadLength < 2 || payloadLength > 65536 || text.charCodeAt(payloadEnd) !== 46) {
        at = text.indexOf("eyJ", Math.max(payloadEnd, at + 1));
        continue;
      }
      const end = tokenRunEnd(text, payloadEnd + 1, 8000);
      if (end - payloadEnd - 1 <= 8000 && jwtHeaderValid(text.slice(at, headerEnd))) out.push({ start: at, end, kind: "jwt" });
      at = text.indexOf("eyJ", end);
    }
  },
};
