// Any /api/v1 path without a route of its own: a JSON 404 rather than the portal's HTML 404 page.
// Static and [id] routes take precedence over this catch-all, so it only sees unknown paths.

export const dynamic = "force-dynamic";

function notFound(request: Request): Response {
  const { pathname } = new URL(request.url);
  return Response.json(
    { error: { code: "NOT_FOUND", message: `No such API route: ${request.method} ${pathname}. See /api/v1/openapi.json` } },
    { status: 404 },
  );
}

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
