import { presentUser } from "../access/present.ts";
import type { Connection, HeldCall, User } from "../db/generated/client.ts";
import type { ArgumentMasker } from "./arguments.ts";
import type { HeldCallView } from "./views.ts";

export type { HeldCallView };

type UserRef = Pick<User, "id" | "email" | "name">;

export const heldCallInclude = {
  user: { select: { id: true, email: true, name: true } },
  connection: { select: { slug: true, name: true } },
  decidedBy: { select: { id: true, email: true, name: true } },
} as const;

export type HeldCallRow = HeldCall & { user: UserRef; connection: Pick<Connection, "slug" | "name">; decidedBy: UserRef | null };

/** The API's view of a held call: its arguments masked by the connection's policy (or withheld). */
export async function presentHeldCall(row: HeldCallRow, mask: ArgumentMasker): Promise<HeldCallView> {
  return {
    id: row.id,
    status: row.status,
    caller: presentUser(row.user),
    connection: { slug: row.connection.slug, name: row.connection.name },
    sessionId: row.sessionId,
    rpcId: row.rpcId,
    method: row.method,
    tool: row.tool,
    arguments: await mask({ connectionId: row.connectionId, method: row.method, rpcId: row.rpcId, arguments: row.arguments }),
    argumentsHash: row.argumentsHash,
    rule: { id: row.ruleId, description: row.ruleDescription, scope: row.ruleScope === "global" ? "global" : "connection" },
    scope: row.scope === "SESSION" ? "session" : row.scope === "CALL" ? "call" : null,
    createdAt: row.createdAt.toISOString(),
    deadline: row.deadline.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
    decidedBy: row.decidedBy ? presentUser(row.decidedBy) : null,
    comment: row.comment,
    endReason: row.endReason,
  };
}
