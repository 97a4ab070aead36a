import { openApiDocument } from "@/lib/api/openapi";
import { methodsNotAllowed } from "../_lib/handler";

export const dynamic = "force-dynamic";

// Public: the API's description is no secret, and tools (Swagger UI, client generators) fetch it
// without credentials, so this route does not go through handle().
export function GET(): Response {
  return Response.json(openApiDocument(), { headers: { "Access-Control-Allow-Origin": "*" } });
}

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
