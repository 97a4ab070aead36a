import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { OAuthError } from "./errors.ts";
import { type ClientMetadata, clientMetadataSchema, describeIssues } from "./schema.ts";

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the MCP spec's
// preferred registration): the client_id is an https URL; the document there describes the
// client and must name that same URL as its client_id. Fetched with a size and time limit, no
// redirects, no cookies; the caller caches the result.

export const METADATA_DOCUMENT_MAX_BYTES = 5 * 1024;
export const METADATA_DOCUMENT_TIMEOUT_MS = 5000;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Is this client_id a metadata document URL (rather than a registered "tgc_…" id)? */
export function isMetadataDocumentClientId(clientId: string): boolean {
  return clientId.startsWith("https://");
}

/** Why a client_id URL cannot be a metadata document URL, or null. */
export function metadataDocumentUrlProblem(clientId: string, options: { allowPrivateHosts?: boolean } = {}): string | null {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    return "client_id is not a URL";
  }
  if (url.protocol !== "https:") return "a URL client_id must use https";
  if (url.pathname === "/" || url.pathname === "") return "a URL client_id must have a path";
  if (url.hash || clientId.includes("#")) return "a URL client_id must not have a fragment";
  if (url.username || url.password) return "a URL client_id must not carry credentials";
  if (/\/\.\.?(\/|$)/.test(clientId.replace(/^https:\/\/[^/]+/, ""))) return "a URL client_id must not have dot segments";
  if (!options.allowPrivateHosts && isPrivateHost(url.hostname)) return "a URL client_id must name a public host";
  return null;
}

export type LookupLike = (hostname: string) => Promise<Array<{ address: string }>>;

/**
 * The host's addresses must all be public too (a public name can point into the private network).
 * Checked before the fetch, which resolves again: a DNS answer that changes in between is not caught.
 */
async function assertPublicAddresses(hostname: string, resolve: LookupLike): Promise<void> {
  let addresses: Array<{ address: string }>;
  try {
    addresses = await resolve(hostname.replace(/^\[|\]$/g, ""));
  } catch {
    throw new OAuthError("invalid_client", "The client metadata document's host does not resolve.");
  }
  if (addresses.length === 0 || addresses.some(({ address }) => isPrivateHost(address))) {
    throw new OAuthError("invalid_client", "The client metadata document's host resolves to a private address.");
  }
}

/** Loopback, private and link-local literals and localhost: the server must not be made to fetch from its own network. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) return true;
  if (isIP(host) === 4) {
    const [a, b] = host.split(".").map(Number) as [number, number];
    return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (isIP(host) === 6)
    return host === "::1" || host === "::" || /^f[cd]/.test(host) || /^fe[89ab]/.test(host) || host.startsWith("::ffff:");
  return false;
}

/** Reads a body up to `max` bytes; more is refused without reading the rest. */
async function readBounded(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) throw new OAuthError("invalid_client", `The client metadata document is larger than ${max} bytes.`);
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new OAuthError("invalid_client", `The client metadata document is larger than ${max} bytes.`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Validates a fetched document against the URL it was fetched from. */
export function validateMetadataDocument(clientId: string, document: unknown): ClientMetadata {
  if (!document || typeof document !== "object" || Array.isArray(document)) {
    throw new OAuthError("invalid_client", "The client metadata document is not a JSON object.");
  }
  const record = document as Record<string, unknown>;
  if (record.client_id !== clientId) {
    throw new OAuthError("invalid_client", "The client metadata document's client_id is not the URL it was fetched from.");
  }
  if ("client_secret" in record || "client_secret_expires_at" in record) {
    throw new OAuthError("invalid_client", "A client metadata document must not contain a client secret.");
  }
  const method = record.token_endpoint_auth_method;
  if (method !== undefined && method !== "none" && method !== "private_key_jwt") {
    throw new OAuthError(
      "invalid_client",
      `token_endpoint_auth_method "${String(method).slice(0, 40)}" cannot be used with a metadata document.`,
    );
  }
  const parsed = clientMetadataSchema.safeParse(record);
  if (!parsed.success) throw new OAuthError("invalid_client", `The client metadata document is invalid: ${describeIssues(parsed.error)}.`);
  return parsed.data;
}

/** Fetches and validates the document at `clientId`. */
export async function fetchMetadataDocument(
  clientId: string,
  options: { fetch?: FetchLike; lookup?: LookupLike; timeoutMs?: number; maxBytes?: number; allowPrivateHosts?: boolean } = {},
): Promise<ClientMetadata> {
  const problem = metadataDocumentUrlProblem(clientId, options);
  if (problem) throw new OAuthError("invalid_client", `${problem}.`);
  // Tests that inject a fetch serve no real host; everything else has its addresses checked.
  if (!options.allowPrivateHosts && (options.lookup || !options.fetch)) {
    await assertPublicAddresses(new URL(clientId).hostname, options.lookup ?? ((host) => lookup(host, { all: true })));
  }
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(clientId, {
      headers: { accept: "application/json" },
      redirect: "error",
      credentials: "omit",
      signal: AbortSignal.timeout(options.timeoutMs ?? METADATA_DOCUMENT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new OAuthError("invalid_client", `The client metadata document could not be fetched (${(error as Error).name}).`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw new OAuthError("invalid_client", `The client metadata document answered HTTP ${response.status}.`);
  }
  const text = await readBounded(response, options.maxBytes ?? METADATA_DOCUMENT_MAX_BYTES);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new OAuthError("invalid_client", "The client metadata document is not JSON.");
  }
  return validateMetadataDocument(clientId, document);
}
