// Redirect URIs: registered ones must be https, or http on a loopback address (native clients,
// RFC 8252 §7.3); no fragment, no credentials. An authorization request must name one of the
// client's registered URIs exactly (string equality, no prefix or pattern matching).

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "[::1]", "localhost"]);

/** Why a redirect URI cannot be registered, or null when it can. */
export function redirectUriProblem(value: string): string | null {
  // The URL parser would accept (and percent-encode) a NUL; the stored string keeps it, and Postgres cannot.
  if (value.includes("\u0000")) return "a redirect URI must not contain a NUL character (U+0000)";
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value.slice(0, 200)}" is not an absolute URL`;
  }
  if (url.hash || value.includes("#")) return `${value.slice(0, 200)} has a fragment`;
  if (url.username || url.password) return `${value.slice(0, 200)} carries credentials`;
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return null;
  if (url.protocol === "http:") return `${value.slice(0, 200)} is plain http on a non-loopback host; use https or a loopback address`;
  // Private-use schemes (com.example.app:/callback) of native apps are allowed; script-like ones are not.
  if (/^(javascript|data|vbscript|file|blob):$/i.test(url.protocol)) return `${url.protocol} URLs cannot be redirect URIs`;
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/i.test(url.protocol)) return null;
  return `${url.protocol} is not an allowed redirect scheme (https, loopback http, or a reverse-domain private-use scheme)`;
}

/** Exact match against the registered list (RFC 9700 §4.1.3: no partial or pattern matching). */
export function isRegisteredRedirectUri(registered: readonly string[], candidate: string): boolean {
  return registered.includes(candidate);
}
