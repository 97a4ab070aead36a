import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { type ApiTokenView, apiTokenSelect, presentApiToken } from "./present.ts";

/** The actor's own personal API tokens, newest first (revoked and expired ones included). Never the hash. */
export async function listApiTokens(db: Db, options: { actor: Actor }): Promise<ApiTokenView[]> {
  const rows = await db.apiToken.findMany({
    where: { userId: options.actor.id },
    select: apiTokenSelect,
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: 200,
  });
  return rows.map(presentApiToken);
}
