import type { IncomingMessage } from "node:http";

// The gateway is an OAuth 2.1 resource server per connection (MCP authorization, RFC 9728): a 401
// names the protected resource metadata of the URL that was called, and that document names the
// exact connection URL (the token's audience) and the portal as its authorization server.

export const PROTECTED_RESOURCE_PREFIX = "/.well-known/oauth-protected-resource";
/** The one scope a Tollgate OAuth token carries: use of the grant's MCP connection. */
export const OAUTH_SCOPES = ["mcp"] as const;

/** The client-facing transports; `ws` is reached as ws(s)://, the others over http(s). */
export type ResourceTransport = "mcp" | "sse" | "ws";

const METADATA_PATH = /^\/\.well-known\/oauth-protected-resource(?:\/(mcp|sse|ws)\/([a-z0-9-]+))?\/?$/;
/** Any connection path a client may call (legacy SSE's message endpoint belongs to /sse/<slug>). */
const CONNECTION_PATH = /^\/(mcp|sse|ws)\/([a-z0-9-]+)(?:\/messages)?\/?$/;

export interface ResourcePath {
  transport: ResourceTransport;
  slug: string;
}

/** `/.well-known/oauth-protected-resource[/<transport>/<slug>]`: null when the path is not one; `root` for the path-less form. */
export function parseMetadataPath(pathname: string): ResourcePath | "root" | null {
  const match = METADATA_PATH.exec(pathname);
  if (!match) return null;
  if (!match[1]) return "root";
  return { transport: match[1] as ResourceTransport, slug: match[2]! };
}

/** The connection a request path belongs to, or null (health, metrics, unknown paths). */
export function connectionOfPath(pathname: string): ResourcePath | null {
  const match = CONNECTION_PATH.exec(pathname);
  return match ? { transport: match[1] as ResourceTransport, slug: match[2]! } : null;
}

/**
 * The gateway's public origin: GATEWAY_PUBLIC_URL when configured, else the Host the client used
 * (callers check it against the gateway's own names first).
 */
export function gatewayOrigin(publicUrl: string | undefined, req: IncomingMessage): string {
  if (publicUrl) return new URL(publicUrl).origin;
  const encrypted = "encrypted" in req.socket && req.socket.encrypted === true;
  return `${encrypted ? "https" : "http"}://${req.headers.host ?? "localhost"}`;
}

/** The exact connection URL a token is issued for (RFC 8707 resource): `ws(s)://` for WebSocket. */
export function resourceUrl(origin: string, path: ResourcePath): string {
  const base = path.transport === "ws" ? origin.replace(/^http/, "ws") : origin;
  return `${base}/${path.transport}/${path.slug}`;
}

/** Where the metadata of a connection path is served (always over http(s)). */
export function resourceMetadataUrl(origin: string, path: ResourcePath | null): string {
  return path ? `${origin}${PROTECTED_RESOURCE_PREFIX}/${path.transport}/${path.slug}` : `${origin}${PROTECTED_RESOURCE_PREFIX}`;
}

/** RFC 9728 protected resource metadata for one connection path, or the gateway as a whole (`root`). */
export function protectedResourceMetadata(options: { origin: string; issuer: string; path: ResourcePath | "root" }) {
  const { origin, issuer, path } = options;
  return {
    resource: path === "root" ? origin : resourceUrl(origin, path),
    authorization_servers: [issuer.replace(/\/$/, "")],
    scopes_supported: [...OAUTH_SCOPES],
    bearer_methods_supported: ["header"],
    resource_name: path === "root" ? "Tollgate gateway" : `Tollgate: ${path.slug}`,
    resource_documentation: `${issuer.replace(/\/$/, "")}/`,
  };
}

/**
 * The `WWW-Authenticate` value of a 401 (RFC 6750, RFC 9728): where the metadata is and which scope
 * to ask for; `error="invalid_token"` with a description only when a token was presented.
 */
export function wwwAuthenticate(options: { metadataUrl: string; tokenPresented: boolean; description: string }): string {
  const parts = ['Bearer realm="tollgate"'];
  if (options.tokenPresented) {
    // Header values must be plain ASCII; the full message is in the JSON body.
    const description = options.description.replace(/[^\x20-\x7e]/g, "").replace(/["\\]/g, "'");
    parts.push('error="invalid_token"', `error_description="${description}"`);
  }
  parts.push(`resource_metadata="${options.metadataUrl}"`, `scope="${OAUTH_SCOPES.join(" ")}"`);
  return parts.join(", ");
}
