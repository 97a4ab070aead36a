import { isAlnumCode, tokenStartsAt } from "./chars.ts";
import { type Detector, FEATURE } from "./types.ts";

// Stripe API keys: secret (sk_), restricted (rk_) in live and test mode, and live publishable keys
// (pk_live_; test publishable keys are public by design).
// No trailing lookahead (see github-token.ts): the end is checked in code.
const STRIPE_KEY = /(?:[sr]k_(?:live|test)|pk_live)_[A-Za-z0-9]{10,247}/g;

export const stripeKey: Detector = {
  name: "stripe-key",
  minLength: 18,
  requires: FEATURE.UNDERSCORE,
  detect(text, _context, out) {
    if (!text.includes("_live_") && !text.includes("_test_")) return;
    STRIPE_KEY.lastIndex = 0;
    for (let match = STRIPE_KEY.exec(text); match !== null; match = STRIPE_KEY.exec(text)) {
      const end = match.index + match[0].length;
      if (!tokenStartsAt(text, match.index) || (end < text.length && isAlnumCode(text.charCodeAt(end)))) continue;
      out.push({ start: match.index, end, kind: "stripe-key" });
    }
  },
};
