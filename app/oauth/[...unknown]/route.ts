import { oauthNotFound } from "../_lib/http";

// Any path here without an endpoint of its own (a mistyped /oauth/tokens, /.well-known/openid-configuration):
// a JSON 404 that OAuth clients can read. The endpoints and pages here take precedence over this catch-all.

export const dynamic = "force-dynamic";

export {
  oauthNotFound as DELETE,
  oauthNotFound as GET,
  oauthNotFound as HEAD,
  oauthNotFound as OPTIONS,
  oauthNotFound as PATCH,
  oauthNotFound as POST,
  oauthNotFound as PUT,
};
