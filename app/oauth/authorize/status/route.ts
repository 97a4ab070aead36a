import { methodsNotAllowed } from "@/app/api/v1/_lib/handler";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { pollAuthorization } from "@/lib/oauth/poll-authorization";
import { oauthSettings } from "@/lib/oauth/settings";
import { consentCaller, consentErrorResponse, NO_STORE, readBody } from "../../_lib/http";

// The waiting page asks whether its access request was decided; once it was, where to go (a POST:
// the answer may complete the authorization with a code).

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  try {
    const actor = await consentCaller(request);
    let authorizationId: unknown;
    try {
      authorizationId = (JSON.parse(await readBody(request, "application/json")) as { authorization?: unknown }).authorization;
    } catch {
      throw new AppError("BAD_REQUEST", "The body must be JSON.");
    }
    if (typeof authorizationId !== "string" || authorizationId.length > 100)
      throw new AppError("BAD_REQUEST", "authorization is required.");
    return Response.json(await pollAuthorization(getDb(), { actor, authorizationId, settings: oauthSettings() }), { headers: NO_STORE });
  } catch (error) {
    return consentErrorResponse(error);
  }
}
// The consent page's own calls (same-origin, no CORS): other methods are the API's JSON 405.
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
