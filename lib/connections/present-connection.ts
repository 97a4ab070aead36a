import type { Connection } from "../db/generated/client.ts";
import { transportName } from "./transport.ts";
import type { ConnectionView } from "./views.ts";

/** The API's shape of a connection: the zod schema in ./views.ts (the OpenAPI document's). */
export type { ConnectionView };

/** The public shape of a connection. The sealed credential never leaves: only whether one is set. */
export function presentConnection(connection: Connection): ConnectionView {
  return {
    id: connection.id,
    slug: connection.slug,
    name: connection.name,
    description: connection.description,
    transport: transportName(connection.transport),
    url: connection.url,
    command: connection.command,
    args: connection.args,
    maxMinutes: connection.maxMinutes,
    hasCredential: connection.credential !== null,
    createdAt: connection.createdAt.toISOString(),
  };
}
