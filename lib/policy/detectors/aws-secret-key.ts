import { type Detector, FEATURE } from "./types.ts";

// AWS secret access keys are 40 characters of base64 with nothing to recognise them by, so a
// 40-character run is only reported with context: a property named like a secret or AWS key, a
// keyword ("aws", "secret") within the preceding 120 characters, or an access key id before it.
// Runs of hex only (git SHAs, SHA-1 digests) and single-case runs are never reported.

const CONTEXT_ANYWHERE = /aws|secret|a[ks]ia[a-z2-7]{16}/i;
// "=" may stand before (AWS_SECRET_ACCESS_KEY=…) and after (40 characters and padding is no
// base64); "/" on either side (a URL path): a longer base64 string is then cut into 40-character
// pieces between slashes, which in an AWS context is masking too much rather than too little.
const CANDIDATE = /(?<![A-Za-z0-9+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9+])/g;
const WINDOW = 120;

function randomLooking(candidate: string): boolean {
  return /[A-Z]/.test(candidate) && /[a-z]/.test(candidate) && !/^[0-9a-fA-F]+$/.test(candidate);
}

export const awsSecretKey: Detector = {
  name: "aws-secret-key",
  minLength: 40,
  requires: FEATURE.NONE,
  detect(text, context, out) {
    if (text.length < 40) return;
    const keyed = context.key.includes("secret") || context.key.includes("aws");
    if (!keyed && !CONTEXT_ANYWHERE.test(text)) return;
    CANDIDATE.lastIndex = 0;
    for (let match = CANDIDATE.exec(text); match !== null; match = CANDIDATE.exec(text)) {
      if (!randomLooking(match[0])) continue;
      if (!keyed && !CONTEXT_ANYWHERE.test(text.slice(Math.max(0, match.index - WINDOW), match.index))) continue;
      out.push({ start: match.index, end: match.index + match[0].length, kind: "aws-secret-key" });
    }
  },
};
