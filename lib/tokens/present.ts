import type { ApiToken } from "../db/generated/client.ts";
import type { ApiTokenView } from "./views.ts";

/** The API's shape of a token: the zod schema in ./views.ts (the OpenAPI document's). */
export type { ApiTokenView };

/** Every column a view shows — and not the hash, which never leaves the database. */
export const apiTokenSelect = {
  id: true,
  name: true,
  prefix: true,
  createdAt: true,
  lastUsedAt: true,
  expiresAt: true,
  revokedAt: true,
} as const;

export function presentApiToken(token: Pick<ApiToken, keyof typeof apiTokenSelect>): ApiTokenView {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    createdAt: token.createdAt.toISOString(),
    lastUsedAt: token.lastUsedAt?.toISOString() ?? null,
    expiresAt: token.expiresAt?.toISOString() ?? null,
    revokedAt: token.revokedAt?.toISOString() ?? null,
  };
}
