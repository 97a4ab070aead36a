import { NextResponse } from "next/server";

// Runs before every /api/v1 route. A path whose percent-encoding does not decode (a lone "%" or
// a broken UTF-8 sequence such as %E0%A4%A) made Next answer a plain-text 500; here it is a JSON
// 400 a person can act on.

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

export const config = { matcher: "/api/v1/:path*" };
