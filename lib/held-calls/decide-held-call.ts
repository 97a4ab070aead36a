import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { argumentMasker, forgetRawArguments } from "./arguments.ts";
import { heldCallNotFound, visibleHeldCalls } from "./list-held-calls.ts";
import { type HeldCallView, heldCallInclude, presentHeldCall } from "./present.ts";

/**
 * An approver approves or denies a pending held call, before its deadline. Nobody decides their
 * own call. The decision, its audit event and the NOTIFY that wakes the holding gateway commit
 * together; the gateway then forwards exactly the message it holds (approve) or answers the
 * client with an error naming the approver and the comment (deny). `scope: "session"` approves
 * identical calls (same tool and arguments hash) for the rest of the session too.
 */
export async function decideHeldCall(
  db: Db,
  options: {
    actor: Actor;
    heldCallId: string;
    decision: "APPROVE" | "DENY";
    comment?: string;
    scope?: "call" | "session";
    /** The masking hash key (derived from the vault key), for the arguments in the answer. */
    hashKey: Uint8Array;
    now?: Date;
  },
): Promise<HeldCallView> {
  const { actor, heldCallId, decision } = options;
  assertCan(actor, "access:decide", "approve or deny held calls");
  const scope = decision === "APPROVE" ? (options.scope === "session" ? "SESSION" : "CALL") : null;
  const comment = options.comment?.trim() || null;

  await db.$transaction(async (tx) => {
    const call = await tx.heldCall.findFirst({
      where: { id: heldCallId, ...visibleHeldCalls(actor) },
      include: { connection: { select: { slug: true } } },
    });
    if (!call) throw heldCallNotFound(heldCallId);
    if (call.userId === actor.id) throw new AppError("FORBIDDEN", "You cannot approve or deny your own held call.");
    const now = options.now ?? new Date();
    // Status, caller and deadline sit in the WHERE: a concurrent decision, an expiry or a call of
    // the actor's own matches no row and changes nothing.
    const updated = await tx.heldCall.updateMany({
      where: { id: heldCallId, status: "PENDING", userId: { not: actor.id }, deadline: { gt: now } },
      data: { status: decision === "APPROVE" ? "APPROVED" : "DENIED", scope, decidedAt: now, decidedById: actor.id, comment },
    });
    if (updated.count === 0) {
      if (call.status === "PENDING") {
        throw new AppError(
          "CONFLICT",
          "This held call's deadline has passed; it can no longer be decided (the client got a timeout error).",
        );
      }
      throw new AppError("CONFLICT", `This held call is already ${call.status.toLowerCase()}; only pending held calls can be decided.`);
    }
    // The gateway forwards the message it holds in memory: the raw arguments are not needed any more.
    await forgetRawArguments(tx, [heldCallId]);
    await writeAuditEvent(tx, {
      actor,
      action: decision === "APPROVE" ? "held_call.approved" : "held_call.denied",
      targetType: "HeldCall",
      targetId: heldCallId,
      data: {
        comment,
        ...(scope ? { scope: scope === "SESSION" ? "session" : "call" } : {}),
        callerId: call.userId,
        sessionId: call.sessionId,
        connection: call.connection.slug,
        method: call.method,
        tool: call.tool,
        argumentsHash: call.argumentsHash,
      },
    });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.heldCalls}, ${heldCallId})`;
  });
  const row = await db.heldCall.findUniqueOrThrow({ where: { id: heldCallId }, include: heldCallInclude });
  return presentHeldCall(row, argumentMasker(db, options.hashKey));
}
