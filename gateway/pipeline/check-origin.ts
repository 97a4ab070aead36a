import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "../errors.ts";

// Step 0, before authentication: is this request for this gateway, from a page allowed to call it?
// A browser page on another site must not drive the gateway (Origin), and a name that merely
// resolves to the gateway's address must not either (Host: DNS rebinding). This is the MCP rule
// for local servers (conformance scenario `dns-rebinding-protection`), applied to every listener.

/** Names under which any machine reaches itself. */
const LOCALHOST_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

export interface OriginPolicy {
  /** The gateway listens on a loopback address: pages served from localhost may call it. */
  loopback: boolean;
  /** Exact origins allowed (`*`: any). */
  allowedOrigins: ReadonlySet<string>;
  /** Allow-listed Host values, lower case: `name` (any port) or `name:port`; `*` turns the check off. */
  allowedHosts: ReadonlySet<string>;
  /** The gateway's own `host[:port]` values, exactly: its bind address and its public URL's host. */
  ownHosts: ReadonlySet<string>;
}

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** `host[:port]` of a URL or a bare host, lower case; null when it does not parse. */
function hostOf(value: string): { name: string; host: string } | null {
  try {
    const url = new URL(value.includes("://") ? value : `http://${value}`);
    if (url.username || url.password || (url.pathname !== "/" && !value.includes("://"))) return null;
    return { name: url.hostname.toLowerCase(), host: url.host.toLowerCase() };
  } catch {
    return null;
  }
}

/**
 * The policy of a gateway bound to `bindHost:port`: its own host (the bind address when it is a
 * specific one, and the public URL's host), localhost names, and the allow-listed hosts and origins.
 */
export function originPolicy(options: {
  bindHost: string;
  port: number;
  publicUrl?: string | undefined;
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
}): OriginPolicy {
  const own = new Set<string>();
  const bind = options.bindHost.includes(":") && !options.bindHost.startsWith("[") ? `[${options.bindHost}]` : options.bindHost;
  if (bind !== "0.0.0.0" && bind !== "[::]") own.add(`${bind}:${options.port}`.toLowerCase());
  const publicHost = options.publicUrl ? hostOf(options.publicUrl) : null;
  if (publicHost) own.add(publicHost.host);
  return {
    loopback: isLoopbackHost(options.bindHost),
    allowedOrigins: new Set(options.allowedOrigins.map((origin) => origin.trim()).filter(Boolean)),
    allowedHosts: new Set(options.allowedHosts.map((host) => host.trim().toLowerCase()).filter(Boolean)),
    ownHosts: own,
  };
}

const shown = (value: string) => JSON.stringify(value.slice(0, 200));

function hostAllowed(policy: OriginPolicy, value: string): boolean {
  if (policy.allowedHosts.has("*")) return true;
  const host = hostOf(value);
  if (!host) return false;
  return (
    LOCALHOST_NAMES.has(host.name) ||
    policy.ownHosts.has(host.host) ||
    policy.allowedHosts.has(host.name) ||
    policy.allowedHosts.has(host.host)
  );
}

function originAllowed(policy: OriginPolicy, origin: string): boolean {
  if (policy.allowedOrigins.has("*") || policy.allowedOrigins.has(origin)) return true;
  if (!policy.loopback) return false;
  const parsed = /^https?:\/\/[^/?#]+$/i.test(origin) ? hostOf(origin) : null;
  return parsed !== null && LOCALHOST_NAMES.has(parsed.name);
}

/** Throws `FORBIDDEN_ORIGIN` (403) for a Host that is not this gateway's or an Origin that may not call it. */
export function checkOrigin(policy: OriginPolicy, headers: IncomingHttpHeaders): void {
  const host = headers.host;
  // HTTP/1.1 requires Host (Node refuses a request without one); a browser always sends it.
  if (host !== undefined && !hostAllowed(policy, host)) {
    throw new GatewayError(
      "FORBIDDEN_ORIGIN",
      `Host ${shown(host)} is not a name of this gateway, so the request was refused (a foreign name that resolves here is how DNS rebinding attacks work). If clients reach the gateway under this name, add it to GATEWAY_ALLOWED_HOSTS.`,
      { header: "host" },
    );
  }
  const origin = headers.origin;
  if (origin !== undefined && !originAllowed(policy, origin)) {
    throw new GatewayError(
      "FORBIDDEN_ORIGIN",
      `Origin ${shown(origin)} is not allowed to call this gateway. Browser pages may call it only from an origin listed in GATEWAY_ALLOWED_ORIGINS${policy.loopback ? " or from localhost" : ""}.`,
      { header: "origin" },
    );
  }
}
