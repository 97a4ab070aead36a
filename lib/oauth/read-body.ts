import { isAppError } from "../errors.ts";
import { declaredLength, readBounded } from "../http/body.ts";
import { OAuthError } from "./errors.ts";

// The OAuth endpoints' request bodies: the portal API's bounded reader (lib/http/body.ts), with its
// failures told as OAuth `invalid_request` errors that say what actually went wrong.

export const MAX_OAUTH_BODY_BYTES = 16 * 1024;

/** The body as text, at most `maxBytes`, of the given media type (`invalid_request` otherwise). */
export async function readOAuthBody(
  request: { headers: Headers; body: ReadableStream<Uint8Array> | null },
  mediaType: string,
  maxBytes: number = MAX_OAUTH_BODY_BYTES,
): Promise<string> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== mediaType) throw new OAuthError("invalid_request", `The request body must be ${mediaType}.`);
  try {
    const declared = declaredLength(request.headers);
    if (declared !== null && declared > maxBytes) throw new OAuthError("invalid_request", `The request body exceeds ${maxBytes} bytes.`);
    return new TextDecoder().decode(await readBounded(request.body, maxBytes));
  } catch (error) {
    if (error instanceof OAuthError) throw error;
    if (isAppError(error) && error.code === "PAYLOAD_TOO_LARGE") {
      throw new OAuthError("invalid_request", `The request body exceeds ${maxBytes} bytes.`);
    }
    // A malformed Content-Length, or a body that could not be read to the end (the client went away).
    if (isAppError(error)) throw new OAuthError("invalid_request", error.message);
    throw error;
  }
}
