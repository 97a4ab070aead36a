import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { type ConnectionView, presentConnection } from "./present-connection.ts";

export async function getConnection(db: Db, options: { actor: Actor; slug: string }): Promise<ConnectionView> {
  assertCan(options.actor, "connections:read", "see the catalog");
  const row = await db.connection.findUnique({ where: { slug: options.slug } });
  if (!row) throw new AppError("NOT_FOUND", `No connection "${options.slug}" in the catalog.`);
  return presentConnection(row, options.actor);
}
