import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import type { Db } from "../../lib/db/client.ts";
import type { Logger } from "../log.ts";

/**
 * Legacy SSE and WebSocket sessions are recorded before the client says who it is: the client's
 * `initialize` (its `clientInfo`) is noted on the session row when it arrives, as Streamable HTTP
 * sessions have it from the start. Returns whether the message was an initialize.
 */
export function noteClientInfo(db: Db, sessionId: string, message: JSONRPCMessage, log: Logger): boolean {
  if (!("method" in message) || message.method !== "initialize") return false;
  const clientInfo = (message.params as { clientInfo?: unknown } | undefined)?.clientInfo;
  if (clientInfo === null || typeof clientInfo !== "object") return true;
  void db.session
    .update({ where: { id: sessionId }, data: { clientInfo: clientInfo as object } })
    .catch((error: Error) => log.warn("could not note the client's info", { session: sessionId, error: error.message }));
  return true;
}
