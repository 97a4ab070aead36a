// Any /api path outside /api/v1 and /api/auth (say /api/v2/me): the same JSON 404 as an unknown
// /api/v1 path, rather than the portal's HTML 404 page.

export const dynamic = "force-dynamic";

export { DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT } from "../v1/[...unknown]/route";
