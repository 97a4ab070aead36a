import { authorizationServerMetadata, oauthSettings } from "@/lib/oauth/settings";
import { CORS, oauthMethodsNotAllowed } from "../../oauth/_lib/http";

// RFC 8414 authorization server metadata: what MCP clients discover from the gateway's protected
// resource metadata (`authorization_servers`: the portal's origin).

export const dynamic = "force-dynamic";

export function GET(): Response {
  return Response.json(authorizationServerMetadata(oauthSettings()), { headers: { ...CORS, "cache-control": "max-age=300" } });
}

export function OPTIONS(): Response {
  return new Response(null, { status: 204, headers: CORS });
}
export const { POST, PUT, PATCH, DELETE } = oauthMethodsNotAllowed("GET");
