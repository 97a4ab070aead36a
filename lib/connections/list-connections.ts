import { assertCan, type Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { presentConnection, type ConnectionView } from "./present-connection.ts";

export async function listConnections(db: Db, options: { actor: Actor }): Promise<ConnectionView[]> {
  assertCan(options.actor, "connections:read", "see the catalog");
  const rows = await db.connection.findMany({ orderBy: { name: "asc" } });
  return rows.map(presentConnection);
}
