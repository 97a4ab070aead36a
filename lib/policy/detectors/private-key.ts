import { type Detector, FEATURE } from "./types.ts";

// PEM private keys: from "-----BEGIN … PRIVATE KEY-----" (PKCS#8, RSA, EC, DSA, OPENSSH,
// ENCRYPTED, PGP … BLOCK) through the matching END line. A block whose END line is missing (a
// truncated key is still a key) is masked to the end of the string.
const BEGIN = /-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+){0,3} )?PRIVATE KEY( BLOCK)?-----/y;

export const privateKey: Detector = {
  name: "private-key",
  minLength: 27,
  requires: FEATURE.DASH,
  detect(text, _context, out) {
    if (!text.includes("BEGIN")) return; // "-" is common, "B" rare: a much faster first search
    let at = text.indexOf("-----BEGIN ");
    while (at >= 0) {
      BEGIN.lastIndex = at;
      const match = BEGIN.exec(text);
      if (!match) {
        at = text.indexOf("-----BEGIN ", at + 1);
        continue;
      }
      const endLine = `-----END ${match[1] ?? ""}PRIVATE KEY${match[2] ?? ""}-----`;
      const endAt = text.indexOf(endLine, at + match[0].length);
      const end = endAt < 0 ? text.length : endAt + endLine.length;
      out.push({ start: at, end, kind: "private-key" });
      at = text.indexOf("-----BEGIN ", end);
    }
  },
};
