import type { DbOrTx } from "../db/client.ts";
import { AppError } from "../errors.ts";

/** Which policy: the global one, or one connection's. */
export type PolicyTarget = { kind: "global" } | { kind: "connection"; slug: string };

export interface ResolvedScope {
  scope: string;
  connectionId: string | null;
  connectionSlug: string | null;
}

export const GLOBAL_SCOPE = "global";
export const connectionScope = (connectionId: string) => `connection:${connectionId}`;

export async function resolvePolicyScope(db: DbOrTx, target: PolicyTarget): Promise<ResolvedScope> {
  if (target.kind === "global") return { scope: GLOBAL_SCOPE, connectionId: null, connectionSlug: null };
  const connection = await db.connection.findUnique({ where: { slug: target.slug }, select: { id: true, slug: true } });
  if (!connection) throw new AppError("NOT_FOUND", `No connection "${target.slug}" in the catalog.`);
  return { scope: connectionScope(connection.id), connectionId: connection.id, connectionSlug: connection.slug };
}
