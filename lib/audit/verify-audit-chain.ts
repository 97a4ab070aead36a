import type { Db } from "../db/client.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { checkNewestCheckpoint, writeAuditCheckpoint } from "./checkpoint.ts";
import type { AuditChainResult } from "./views.ts";
import { auditRecord } from "./write-audit-event.ts";

/** `{ ok: true, events }` or `{ ok: false, events, brokenAt, reason }`: the zod schema in ./views.ts. */
export type { AuditChainResult };

/**
 * Recomputes the audit hash chain from the first event; reports the first event that does not
 * link or whose columns do not match its hash (by the row's record format, see auditRecord).
 * With `checkpointKey` it also checks the newest signed checkpoint (so deleting the newest rows
 * shows) and, when all is well, checkpoints the current head.
 */
export async function verifyAuditChain(db: Db, options: { checkpointKey?: Buffer } = {}): Promise<AuditChainResult> {
  let prev = GENESIS_HASH;
  let count = 0;
  let cursor: bigint | undefined;
  for (;;) {
    const page = await db.auditEvent.findMany({ where: cursor ? { id: { gt: cursor } } : {}, orderBy: { id: "asc" }, take: 1000 });
    if (page.length === 0) break;
    for (const event of page) {
      count += 1;
      if (event.prevHash !== prev)
        return { ok: false, events: count, brokenAt: String(event.id), reason: "prevHash does not match the previous event" };
      if (chainHash(prev, auditRecord(event)) !== event.hash)
        return { ok: false, events: count, brokenAt: String(event.id), reason: "content does not match its hash" };
      prev = event.hash;
    }
    cursor = page[page.length - 1]!.id;
  }
  if (!options.checkpointKey) return { ok: true, events: count };
  const check = await checkNewestCheckpoint(db, options.checkpointKey);
  if (!check.ok) return { ok: false, events: count, brokenAt: check.eventId, reason: check.reason };
  await writeAuditCheckpoint(db, { key: options.checkpointKey });
  return { ok: true, events: count, checkpoint: check.checkpoint };
}
