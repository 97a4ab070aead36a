import type { Connection } from "../db/generated/client.ts";
import type { TransportName } from "./schema.ts";

/** The public shape of a connection. The sealed credential never leaves: only whether one is set. */
export function presentConnection(connection: Connection) {
  return {
    id: connection.id,
    slug: connection.slug,
    name: connection.name,
    description: connection.description,
    transport: (connection.transport === "STDIO" ? "stdio" : "streamable-http") as TransportName,
    url: connection.url,
    command: connection.command,
    args: connection.args,
    maxMinutes: connection.maxMinutes,
    hasCredential: connection.credential !== null,
    createdAt: connection.createdAt.toISOString(),
  };
}
export type ConnectionView = ReturnType<typeof presentConnection>;
