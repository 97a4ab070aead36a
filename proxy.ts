import { NextResponse } from "next/server";

// A path whose percent-encoding does not decode (a lone "%" or a broken UTF-8 sequence such as
// %E0%A4%A) made Next answer /api/v1 and /api/auth with a plain-text 500; here it is a JSON 400 a
// person can act on.

export function proxy(request: Request): Response {
  const { pathname } = new URL(request.url);
  try {
    decodeURIComponent(pathname);
  } catch {
    return Response.json(
      { error: { code: "BAD_REQUEST", message: "The path is not valid percent-encoding: encode '%' as %25 and send UTF-8." } },
      { status: 400 },
    );
  }
  return NextResponse.next();
}

// Only /api paths (the REST API, next-auth's routes) with a "%" in them. Next reads the body of a
// request its proxy runs for (to hand the route a copy), which on ordinary paths would undo the
// API's early 413s; no API path needs a "%" (ids, slugs and versions are plain), and
// next.config.ts caps what Next buffers for these (proxyClientMaxBodySize). Requests with a body
// too: a POST to /api/v1/access-requests/%ED%A0%80/approve was a plain-text 500.
export const config = {
  matcher: [{ source: "/api/:path(.*%.*)" }],
};
