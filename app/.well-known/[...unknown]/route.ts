// Any /.well-known path without an endpoint of its own (say /.well-known/openid-configuration): the
// same JSON 404 as an unknown /oauth path, which OAuth clients can read.

export const dynamic = "force-dynamic";

export { DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT } from "../../oauth/[...unknown]/route";
