import { getDb } from "@/lib/db/client";
import { exchangeToken, parseTokenRequest } from "@/lib/oauth/exchange-token";
import { formRecord, oauthErrorResponse, oauthJson, oauthMethodsNotAllowed, preflight, readBody } from "../_lib/http";

// The token endpoint: authorization_code (with the PKCE verifier) and refresh_token, form-encoded.

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  try {
    const form = formRecord(await readBody(request, "application/x-www-form-urlencoded"));
    return oauthJson(await exchangeToken(getDb(), { request: parseTokenRequest(form) }));
  } catch (error) {
    return oauthErrorResponse(error);
  }
}

export const OPTIONS = preflight;
export const { GET, HEAD, PUT, PATCH, DELETE } = oauthMethodsNotAllowed("POST");
