// The RFC 8707 `resource` of an authorization or token request must be the exact URL of one of
// this gateway's connection endpoints — what the gateway's protected resource metadata names.

export interface ResourceTarget {
  /** The canonical connection URL, as the gateway's metadata names it. */
  resource: string;
  transport: "mcp" | "sse" | "ws";
  slug: string;
}

const PATH = /^\/(mcp|sse|ws)\/([a-z0-9-]+)$/;

/**
 * The connection a `resource` names, or null when it is not one of this gateway's connection URLs
 * (another host, a trailing slash, a query or a fragment all count as another resource).
 */
export function parseResource(resource: string, gatewayOrigin: string): ResourceTarget | null {
  let url: URL;
  let gateway: URL;
  try {
    url = new URL(resource);
    gateway = new URL(gatewayOrigin);
  } catch {
    return null;
  }
  if (url.search || url.hash || resource.includes("#") || resource.includes("?")) return null;
  const match = PATH.exec(url.pathname);
  if (!match) return null;
  const transport = match[1] as ResourceTarget["transport"];
  const scheme = transport === "ws" ? gateway.protocol.replace(/^http/, "ws") : gateway.protocol;
  if (url.protocol !== scheme || url.host !== gateway.host) return null;
  const canonical = `${scheme}//${gateway.host}/${transport}/${match[2]}`;
  // Byte for byte what the metadata names: no default port spelled out, no case variants.
  if (resource !== canonical) return null;
  return { resource: canonical, transport, slug: match[2]! };
}
