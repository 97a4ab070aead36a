import { methodsNotAllowed } from "@/app/api/v1/_lib/handler";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";
import { decideAuthorization } from "@/lib/oauth/decide-authorization";
import { oauthSettings } from "@/lib/oauth/settings";
import { consentCaller, consentErrorResponse, NO_STORE, readBody } from "../../_lib/http";

// The consent page's answer (JSON from the page's own script): approve, deny, or file the access
// request. Answers where the browser goes next: the client's redirect URI, or the waiting page.

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  try {
    const actor = await consentCaller(request);
    let input: unknown;
    try {
      input = JSON.parse(await readBody(request, "application/json"));
    } catch {
      throw new AppError("BAD_REQUEST", "The body must be JSON.");
    }
    const outcome = await decideAuthorization(getDb(), { actor, input, settings: oauthSettings() });
    const next =
      outcome.kind === "redirect" ? outcome.url : `/oauth/authorize/waiting?authorization=${encodeURIComponent(outcome.authorizationId)}`;
    return Response.json({ next }, { headers: NO_STORE });
  } catch (error) {
    return consentErrorResponse(error);
  }
}
// The consent page's own calls (same-origin, no CORS): other methods are the API's JSON 405.
export const { GET, HEAD, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("POST");
