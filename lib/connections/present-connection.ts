import { type Actor, can } from "../authz/permissions.ts";
import type { Connection } from "../db/generated/client.ts";
import { transportName } from "./transport.ts";
import type { AdminConnectionView, ConnectionView } from "./views.ts";

/** The API's shapes of a connection: the zod schema in ./views.ts (the OpenAPI document's). */
export type { AdminConnectionView, ConnectionView };

/**
 * A connection as `actor` may see it. The sealed credential never leaves (only whether one is
 * set); where the upstream is (URL, command, arguments) is for admins only: for anyone else the
 * fields are left out altogether, not blanked.
 */
export function presentConnection(connection: Connection, actor: Actor): ConnectionView {
  return can(actor, "connections:write") ? presentAdminConnection(connection) : presentCatalogConnection(connection);
}

/** What everyone who may read the catalog sees. */
function presentCatalogConnection(connection: Connection): ConnectionView {
  return {
    id: connection.id,
    slug: connection.slug,
    name: connection.name,
    description: connection.description,
    transport: transportName(connection.transport),
    maxMinutes: connection.maxMinutes,
    hasCredential: connection.credential !== null,
    createdAt: connection.createdAt.toISOString(),
  };
}

/** What admins see (create and update answer with it). */
export function presentAdminConnection(connection: Connection): AdminConnectionView {
  return { ...presentCatalogConnection(connection), url: connection.url, command: connection.command, args: connection.args };
}
