import { type Detector, FEATURE } from "./types.ts";

// "Bearer <token>" (also inside "Authorization: Bearer …"): only the token is masked, so the text
// still says what it was. To leave prose like "a Bearer token" or "Bearer Authentication" alone
// the token must be 12+ characters and look random: a digit, a symbol of the token alphabet, or
// at least two capitals mixed with lower case.
// Not glued to a letter or digit before it ("_Bearer …" is markdown emphasis).
const BEARER = /(?<![A-Za-z0-9])[Bb][Ee][Aa][Rr][Ee][Rr][ \t]+([A-Za-z0-9\-._~+/]{12,8192}=*)/g;

const BEARER_WORD = /bearer/i;

function tokenLike(token: string): boolean {
  if (/[0-9._~+/=-]/.test(token)) return true;
  const capitals = token.match(/[A-Z]/g)?.length ?? 0;
  return capitals >= 2 && /[a-z]/.test(token);
}

export const bearerToken: Detector = {
  name: "bearer-token",
  minLength: 19,
  requires: FEATURE.NONE,
  detect(text, _context, out) {
    if (!BEARER_WORD.test(text)) return;
    BEARER.lastIndex = 0;
    for (let match = BEARER.exec(text); match !== null; match = BEARER.exec(text)) {
      const token = match[1]!;
      if (!tokenLike(token)) continue;
      const end = match.index + match[0].length;
      out.push({ start: end - token.length, end, kind: "bearer-token" });
    }
  },
};
