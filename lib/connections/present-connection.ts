import type { Connection } from "../db/generated/client.ts";
import { transportName } from "./transport.ts";

/** The public shape of a connection. The sealed credential never leaves: only whether one is set. */
export function presentConnection(connection: Connection) {
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
export type ConnectionView = ReturnType<typeof presentConnection>;
