import { type Actor, can } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import type { HeldCallStatus } from "../db/generated/enums.ts";
import { AppError } from "../errors.ts";
import { argumentMasker } from "./arguments.ts";
import { type HeldCallView, heldCallInclude, presentHeldCall } from "./present.ts";

/** The held calls the actor may see: their own, or everyone's with access:read:all (approvers, auditors, admins). */
export function visibleHeldCalls(actor: Actor) {
  return can(actor, "access:read:all") ? {} : { userId: actor.id };
}

/** The one 404 for a held call that does not exist and for one the actor may not see: the two look the same. */
export function heldCallNotFound(heldCallId: string): AppError {
  return new AppError("NOT_FOUND", `No held call ${heldCallId}.`);
}

/** Held calls, newest first (at most 200); arguments masked with `hashKey` as the gateway masks them. */
export async function listHeldCalls(
  db: Db,
  options: { actor: Actor; status?: HeldCallStatus; scope?: "mine" | "all"; hashKey: Uint8Array },
): Promise<HeldCallView[]> {
  const { actor } = options;
  const rows = await db.heldCall.findMany({
    where: {
      ...visibleHeldCalls(actor),
      ...(options.scope === "mine" ? { userId: actor.id } : {}),
      ...(options.status ? { status: options.status } : {}),
    },
    include: heldCallInclude,
    orderBy: { createdAt: "desc" },
    take: 200,
  });
  const mask = argumentMasker(db, options.hashKey);
  return Promise.all(rows.map((row) => presentHeldCall(row, mask)));
}

export async function getHeldCall(db: Db, options: { actor: Actor; heldCallId: string; hashKey: Uint8Array }): Promise<HeldCallView> {
  const { actor, heldCallId } = options;
  const row = await db.heldCall.findFirst({ where: { id: heldCallId, ...visibleHeldCalls(actor) }, include: heldCallInclude });
  if (!row) throw heldCallNotFound(heldCallId);
  return presentHeldCall(row, argumentMasker(db, options.hashKey));
}
