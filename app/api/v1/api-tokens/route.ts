import { createApiToken } from "@/lib/tokens/create-api-token";
import { listApiTokens } from "@/lib/tokens/list-api-tokens";
import { createApiTokenSchema } from "@/lib/tokens/schema";
import { handle, methodsNotAllowed, readJson } from "../_lib/handler";

export const dynamic = "force-dynamic";

export const GET = handle(async ({ actor, db }) => listApiTokens(db, { actor }));

// The token is shown once: no cache may keep a copy.
export const POST = handle(
  async ({ request, actor, db }) => {
    const input = await readJson(request, createApiTokenSchema);
    return createApiToken(db, { actor, name: input.name, expiresInDays: input.expiresInDays });
  },
  { status: 201, headers: { "Cache-Control": "no-store" } },
);

export const { PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET", "POST");
