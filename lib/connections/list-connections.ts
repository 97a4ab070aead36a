import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { type ConnectionView, presentConnection } from "./present-connection.ts";

export async function listConnections(db: Db, options: { actor: Actor }): Promise<ConnectionView[]> {
  assertCan(options.actor, "connections:read", "see the catalog");
  const rows = await db.connection.findMany({ orderBy: { name: "asc" } });
  return rows.map((row) => presentConnection(row, options.actor));
}
