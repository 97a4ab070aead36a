import { getDb } from "@/lib/db/client";
import { OAuthError } from "@/lib/oauth/errors";
import { clientAddress, RegistrationLimiter } from "@/lib/oauth/rate-limit";
import { registerClient } from "@/lib/oauth/register-client";
import { oauthErrorResponse, oauthJson, oauthMethodsNotAllowed, preflight, readBody } from "../_lib/http";

// RFC 7591 dynamic client registration: public clients only, redirect URIs https or loopback http.

export const dynamic = "force-dynamic";

// Registration needs no sign-in: limited per portal process (lib/oauth/rate-limit.ts).
const limiter = new RegistrationLimiter();

export async function POST(request: Request): Promise<Response> {
  const decision = limiter.take(clientAddress(request.headers));
  if (!decision.allowed) {
    const response = oauthJson(
      {
        error: "temporarily_unavailable",
        error_description: `Too many client registrations; try again in ${decision.retryAfterSeconds} s.`,
      },
      429,
    );
    response.headers.set("retry-after", String(decision.retryAfterSeconds));
    return response;
  }
  try {
    let input: unknown;
    try {
      input = JSON.parse(await readBody(request, "application/json"));
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      throw new OAuthError("invalid_client_metadata", "The body is not JSON.");
    }
    return oauthJson(await registerClient(getDb(), input), 201);
  } catch (error) {
    return oauthErrorResponse(error);
  }
}

export const OPTIONS = preflight;
export const { GET, HEAD, PUT, PATCH, DELETE } = oauthMethodsNotAllowed("POST");
