import NextAuth from "next-auth";
import { methodsNotAllowed } from "@/app/api/v1/_lib/handler";
import { getAuthOptions } from "@/app/auth";

export const dynamic = "force-dynamic";

async function handler(request: Request, context: { params: Promise<{ nextauth: string[] }> }): Promise<Response> {
  const response: Response = await NextAuth(getAuthOptions())(request, context);
  // An action next-auth does not have (GET /api/auth/nope) is its plain-text 400 "Error: This
  // action with HTTP GET is not supported by NextAuth.js": JSON like every other /api answer.
  // Redirects (sign-in, callbacks, its error page) and its own JSON pass as they are.
  const type = response.headers.get("content-type") ?? "";
  if (response.status >= 400 && response.status < 500 && !type.includes("json") && !response.headers.has("location")) {
    const text = (await response.text()).replace(/^Error:\s*/, "").slice(0, 200);
    return Response.json(
      { error: { code: response.status === 404 ? "NOT_FOUND" : "BAD_REQUEST", message: text || "Not a sign-in action." } },
      { status: response.status },
    );
  }
  return response;
}

export { handler as GET, handler as POST };
export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
