import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { type AccessRequestView, accessRequestInclude, presentAccessRequest } from "./present.ts";

export async function createAccessRequest(
  db: Db,
  options: { actor: Actor; connectionSlug: string; minutes: number; reason: string },
): Promise<AccessRequestView> {
  const { actor } = options;
  assertCan(actor, "access:request", "request access");
  const connection = await db.connection.findUnique({ where: { slug: options.connectionSlug } });
  if (!connection) throw new AppError("NOT_FOUND", `No connection "${options.connectionSlug}" in the catalog.`, { field: "connection" });
  if (options.minutes > connection.maxMinutes) {
    throw new AppError("BAD_REQUEST", `minutes must be at most ${connection.maxMinutes} for ${connection.name}.`, { field: "minutes" });
  }
  const id = await db.$transaction(async (tx) => {
    const row = await tx.accessRequest.create({
      data: { requesterId: actor.id, connectionId: connection.id, minutes: options.minutes, reason: options.reason },
    });
    await writeAuditEvent(tx, {
      actor,
      action: "access_request.created",
      targetType: "AccessRequest",
      targetId: row.id,
      data: { connection: connection.slug, minutes: options.minutes, reason: options.reason },
    });
    await tx.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.accessRequests}, ${row.id})`;
    return row.id;
  });
  return presentAccessRequest(await db.accessRequest.findUniqueOrThrow({ where: { id }, include: accessRequestInclude }));
}
