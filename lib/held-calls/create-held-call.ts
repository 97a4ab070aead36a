import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Db } from "../db/client.ts";
import type { HeldCall } from "../db/generated/client.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";

export interface CreateHeldCallInput {
  /** The caller: the user whose grant the session runs on. Their own call, so they are the audit actor. */
  callerId: string;
  sessionId: string;
  connectionId: string;
  /** The held request's JSON-RPC id. */
  rpcId: string | number;
  method: string;
  tool: string | null;
  /** The request's params exactly as sent (shown to approvers only masked). */
  arguments: unknown;
  /** argumentsHash(params) of ./arguments.ts, computed by the gateway from the message it holds. */
  argumentsHash: string;
  rule: { id: string; description?: string; scope: "global" | "connection" };
  deadline: Date;
  /** The gateway process that holds the request. */
  gatewayInstance: string;
}

export type CreatedHeldCall = HeldCall & { user: { email: string }; connection: { slug: string; name: string } };

/**
 * The gateway parks a request that a require-approval rule matched: the row, its audit event and
 * the NOTIFY that puts it in approvers' queues commit together.
 */
export async function createHeldCall(db: Db, input: CreateHeldCallInput): Promise<CreatedHeldCall> {
  const created = await db.$transaction(async (tx) => {
    const caller = await tx.user.findUniqueOrThrow({ where: { id: input.callerId }, select: { id: true, email: true, roles: true } });
    const row = await tx.heldCall.create({
      data: {
        sessionId: input.sessionId,
        userId: input.callerId,
        connectionId: input.connectionId,
        rpcId: String(input.rpcId),
        method: input.method,
        tool: input.tool,
        arguments: (input.arguments ?? {}) as object,
        argumentsHash: input.argumentsHash,
        ruleId: input.rule.id,
        ruleDescription: input.rule.description ?? null,
        ruleScope: input.rule.scope,
        deadline: input.deadline,
        gatewayInstance: input.gatewayInstance,
      },
      include: { user: { select: { email: true } }, connection: { select: { slug: true, name: true } } },
    });
    await writeAuditEvent(tx, {
      actor: caller,
      action: "held_call.created",
      targetType: "HeldCall",
      targetId: row.id,
      data: {
        sessionId: input.sessionId,
        connection: row.connection.slug,
        method: input.method,
        tool: input.tool,
        argumentsHash: input.argumentsHash,
        rule: input.rule.id,
        deadline: input.deadline.toISOString(),
      },
    });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.heldCalls}, ${row.id})`;
    return row;
  });
  return created;
}
