import { AppError } from "../errors.ts";

// Cross-site request forgery: a write that a browser authenticates with the portal's session
// cookie must provably come from the portal's own pages. Browsers say where a request comes from
// in Sec-Fetch-Site (all current ones) and Origin (on every cross-origin request and on same-origin
// POSTs); a request with neither is not from a page of ours, so it is refused rather than trusted.
// Bearer-token callers (scripts, the CLI) do not go through this: a page cannot make a browser
// attach someone's API token.

const HOW_TO = "Make the change from the portal's own pages, or from a script with a personal API token (Authorization: Bearer tg_…).";

/** The serialized origin (`scheme://host[:port]`) of a URL, or null when it is not a URL. */
export function originOf(url: string | undefined | null): string | null {
  if (!url) return null;
  try {
    const origin = new URL(url).origin;
    return origin === "null" ? null : origin;
  } catch {
    return null;
  }
}

/**
 * Throws a 403 AppError unless a cookie-authenticated write comes from one of `allowedOrigins`
 * (the portal's own): Sec-Fetch-Site must be `same-origin` (or `same-site` with an allowed Origin),
 * Origin, when sent, must be allowed, and at least one of the two must be there.
 */
export function assertSameOriginWrite(headers: Headers, allowedOrigins: readonly string[]): void {
  const site = headers.get("sec-fetch-site")?.trim().toLowerCase() ?? null;
  const origin = headers.get("origin")?.trim() ?? null;
  const allowed = origin !== null && allowedOrigins.includes(origin);

  if (site === null && origin === null) {
    throw new AppError(
      "FORBIDDEN",
      `Cross-site request refused: this write carries a portal session cookie but neither an Origin nor a Sec-Fetch-Site header, so it cannot be shown to come from the portal. ${HOW_TO}`,
    );
  }
  if (site !== null && site !== "same-origin" && !(site === "same-site" && allowed)) {
    throw new AppError(
      "FORBIDDEN",
      `Cross-site request refused: Sec-Fetch-Site is "${site.slice(0, 40)}"${origin ? ` (Origin ${origin.slice(0, 200)})` : ""}; session-cookie writes must come from the portal's own origin. ${HOW_TO}`,
    );
  }
  if (origin !== null && !allowed) {
    throw new AppError(
      "FORBIDDEN",
      `Cross-site request refused: Origin ${origin.slice(0, 200)} is not this portal's (${allowedOrigins.join(", ") || "none configured"}). ${HOW_TO}`,
    );
  }
}
