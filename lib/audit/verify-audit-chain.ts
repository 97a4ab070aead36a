import type { Db } from "../db/client.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import type { AuditChainResult } from "./views.ts";

/** `{ ok: true, events }` or `{ ok: false, events, brokenAt, reason }`: the zod schema in ./views.ts. */
export type { AuditChainResult };

/** Recomputes the audit hash chain from the first event; reports the first event that does not link. */
export async function verifyAuditChain(db: Db): Promise<AuditChainResult> {
  let prev = GENESIS_HASH;
  let count = 0;
  let cursor: bigint | undefined;
  for (;;) {
    const page = await db.auditEvent.findMany({ where: cursor ? { id: { gt: cursor } } : {}, orderBy: { id: "asc" }, take: 1000 });
    if (page.length === 0) return { ok: true, events: count };
    for (const event of page) {
      count += 1;
      if (event.prevHash !== prev)
        return { ok: false, events: count, brokenAt: String(event.id), reason: "prevHash does not match the previous event" };
      const record = {
        at: event.at.toISOString(),
        actorId: event.actorId,
        action: event.action,
        targetType: event.targetType,
        targetId: event.targetId,
        data: event.data,
      };
      if (chainHash(prev, record) !== event.hash)
        return { ok: false, events: count, brokenAt: String(event.id), reason: "content does not match its hash" };
      prev = event.hash;
    }
    cursor = page[page.length - 1]!.id;
  }
}
