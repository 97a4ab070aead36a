import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import { OAuthError } from "./errors.ts";
import { type ClientMetadata, clientMetadataSchema, describeIssues } from "./schema.ts";

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, the MCP spec's
// preferred registration): the client_id is an https URL; the document there describes the
// client and must name that same URL as its client_id. Fetched with a size and time limit, no
// redirects, no cookies; the caller caches the result. The host's addresses are resolved once, every
// one checked against the blocked ranges below, and the connection is made to those checked
// addresses (a custom `lookup` on the request): a second DNS answer cannot swap in a private address.

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
 * Addresses a metadata document is never fetched from: this host, private networks, shared and
 * reserved ranges (a cloud metadata service may live in any of them), multicast, and the IPv6
 * translation prefixes that could carry such an IPv4 address (IPv4-mapped ones are checked against
 * the IPv4 ranges by BlockList itself).
 */
const BLOCKED = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8],
  ["100.64.0.0", 10], // carrier-grade NAT (shared address space)
  ["127.0.0.0", 8],
  ["169.254.0.0", 16], // link-local, the usual cloud metadata address
  ["172.16.0.0", 12],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16],
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 96], // unspecified, loopback and IPv4-compatible
  ["64:ff9b::", 96], // NAT64
  ["64:ff9b:1::", 48], // local-use NAT64
  ["100::", 64], // discard-only
  ["2001::", 32], // Teredo
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4 (embeds an IPv4 address)
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
] as const) {
  BLOCKED.addSubnet(network, prefix, "ipv6");
}

/** Whether an IP address literal is one a metadata document may not be fetched from. Not an IP: false. */
export function isBlockedAddress(address: string): boolean {
  const host = address.replace(/^\[|\]$/g, "");
  const family = isIP(host);
  if (family === 0) return false;
  return BLOCKED.check(host, family === 4 ? "ipv4" : "ipv6");
}

/** Loopback, private and reserved literals and localhost: the server must not be made to fetch from its own network. */
function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal")) return true;
  return isBlockedAddress(host);
}

function privateAddressError(): OAuthError {
  return new OAuthError("invalid_client", "The client metadata document's host resolves to a private address.");
}

/** Resolves a host and checks every address; a host that does not resolve, or resolves anywhere private, is refused. */
async function resolvePublic(
  hostname: string,
  resolve: LookupLike,
  isBlocked: (address: string) => boolean = isBlockedAddress,
): Promise<Array<{ address: string; family: 4 | 6 }>> {
  let addresses: Array<{ address: string }>;
  try {
    addresses = await resolve(hostname.replace(/^\[|\]$/g, ""));
  } catch {
    throw new OAuthError("invalid_client", "The client metadata document's host does not resolve.");
  }
  if (addresses.length === 0 || addresses.some(({ address }) => isIP(address) === 0 || isBlocked(address))) {
    throw privateAddressError();
  }
  return addresses.map(({ address }) => ({ address, family: isIP(address) === 4 ? 4 : 6 }));
}

/**
 * A `lookup` for node:http(s) that answers only with checked addresses: the socket connects to
 * exactly the addresses that passed, so there is no second resolution to rebind.
 */
export function checkedLookup(resolve: LookupLike, isBlocked: (address: string) => boolean = isBlockedAddress): LookupFunction {
  return (hostname, options, callback) => {
    resolvePublic(hostname, resolve, isBlocked).then(
      (addresses) => {
        const wanted =
          options.family === 4 || options.family === 6 ? addresses.filter(({ family }) => family === options.family) : addresses;
        if (wanted.length === 0) return callback(privateAddressError() as unknown as NodeJS.ErrnoException, "", 4);
        if (options.all) return (callback as unknown as (error: null, addresses: typeof wanted) => void)(null, wanted);
        return callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: OAuthError) => callback(error as unknown as NodeJS.ErrnoException, "", 4),
    );
  };
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * GET with node:https (node:http only for tests' plain URLs) through `checkedLookup`: no redirects
 * are followed (a 3xx is just a status), no cookies are sent, and the signal also ends the body read.
 */
export function pinnedFetch(
  resolve: LookupLike = (host) => lookup(host, { all: true }),
  options: { isBlocked?: (address: string) => boolean } = {},
): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolveResponse, reject) => {
      const target = new URL(url);
      const client = target.protocol === "http:" ? http : https;
      const request = client.request(target, {
        method: "GET",
        headers: { accept: "application/json", "accept-encoding": "identity" },
        lookup: checkedLookup(resolve, options.isBlocked),
        signal: init.signal ?? undefined,
        agent: false,
      });
      request.on("error", reject);
      request.on("response", (response) => {
        const status = response.statusCode ?? 502;
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          if (typeof value === "string") headers.set(name, value);
          else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
        }
        if (NULL_BODY_STATUSES.has(status) || status < 200 || status > 599) {
          response.destroy();
          resolveResponse(new Response(null, { status: NULL_BODY_STATUSES.has(status) ? status : 502, headers }));
          return;
        }
        const body = Readable.toWeb(response) as unknown as ReadableStream<Uint8Array>;
        resolveResponse(new Response(body, { status, headers }));
      });
      request.end();
    });
}

/** Reads a body up to `max` bytes; more is refused without reading the rest. A read that fails (a timeout) is `invalid_client`. */
async function readBounded(response: Response, max: number): Promise<string> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > max) throw new OAuthError("invalid_client", `The client metadata document is larger than ${max} bytes.`);
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      const name = error instanceof Error ? error.name : "error";
      throw new OAuthError("invalid_client", `The client metadata document could not be read to the end (${name.slice(0, 40)}).`);
    }
    const { done, value } = result;
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
  const resolve = options.lookup ?? ((host: string) => lookup(host, { all: true }));
  // Tests that inject a fetch serve no real host; with a lookup too, its answer is checked first.
  if (!options.allowPrivateHosts && options.fetch && options.lookup) await resolvePublic(new URL(clientId).hostname, resolve);
  // Otherwise the fetch connects only to addresses it checked itself (no second resolution to rebind).
  const fetcher = options.fetch ?? (options.allowPrivateHosts ? fetch : pinnedFetch(resolve));
  let response: Response;
  try {
    response = await fetcher(clientId, {
      headers: { accept: "application/json" },
      redirect: "error",
      credentials: "omit",
      signal: AbortSignal.timeout(options.timeoutMs ?? METADATA_DOCUMENT_TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof OAuthError) throw error;
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
