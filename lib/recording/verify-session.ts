import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { findVisibleSession } from "./sessions.ts";
import type { SessionVerification } from "./views.ts";

export type { SessionVerification };

const PAGE = 1000;

interface StoredEvent {
  seq: number;
  at: Date;
  direction: string;
  payload: unknown;
  decision: string | null;
  masked: unknown;
  prevHash: string;
  hash: string;
}

/** The record an event's hash covers, as the recorder built it (annotations only when present). */
function hashedRecord(row: StoredEvent): Record<string, unknown> {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    direction: row.direction,
    payload: row.payload,
    ...(row.decision ? { decision: row.decision } : {}),
    ...(row.masked !== null && row.masked !== undefined ? { masked: row.masked } : {}),
  };
}

/**
 * Recomputes a session's hash chain from the stored rows and names the first event that was
 * altered or is missing:
 * - `missing`: a gap in seq (the first absent seq is named), or events deleted from the end (the
 *   chain head stored when the session ended is past the newest row);
 * - `altered`: a row's hash does not match its contents (jsonb key order does not matter: hashes
 *   use canonical JSON), or the newest row's hash is not the stored head;
 * - `chain-broken`: a row's prevHash is not its predecessor's hash (rows rewritten with fresh hashes);
 * - `out-of-order`: a row's time is before its predecessor's.
 */
export async function verifySession(db: Db, options: { actor: Actor; sessionId: string }): Promise<SessionVerification> {
  const session = await findVisibleSession(db, options.actor, options.sessionId);
  return verifySessionChain(db, { sessionId: session.id, lastSeq: session.lastSeq, lastHash: session.lastHash });
}

export async function verifySessionChain(
  db: Db,
  session: { sessionId: string; lastSeq: number | null; lastHash: string | null },
): Promise<SessionVerification> {
  const checkedAt = new Date().toISOString();
  const result = (events: number, firstBad?: SessionVerification["firstBad"]): SessionVerification => ({
    ok: firstBad === undefined,
    events,
    ...(firstBad ? { firstBad } : {}),
    headChecked: session.lastSeq !== null,
    checkedAt,
  });
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let prevAt: Date | undefined;
  let events = 0;
  for (;;) {
    const rows: StoredEvent[] = await db.sessionEvent.findMany({
      where: { sessionId: session.sessionId, seq: { gte: expectedSeq } },
      orderBy: { seq: "asc" },
      take: PAGE,
      select: { seq: true, at: true, direction: true, payload: true, decision: true, masked: true, prevHash: true, hash: true },
    });
    for (const row of rows) {
      events++;
      if (row.seq !== expectedSeq) return result(events, { seq: expectedSeq, problem: "missing" });
      if (chainHash(row.prevHash, hashedRecord(row)) !== row.hash) return result(events, { seq: row.seq, problem: "altered" });
      if (row.prevHash !== prevHash) return result(events, { seq: row.seq, problem: "chain-broken" });
      if (prevAt && row.at < prevAt) return result(events, { seq: row.seq, problem: "out-of-order" });
      prevHash = row.hash;
      prevAt = row.at;
      expectedSeq++;
    }
    if (rows.length < PAGE) break;
  }
  const newestSeq = expectedSeq - 1;
  if (session.lastSeq !== null) {
    if (newestSeq < session.lastSeq) return result(events, { seq: newestSeq + 1, problem: "missing" });
    if (newestSeq > session.lastSeq) return result(events, { seq: session.lastSeq + 1, problem: "chain-broken" });
    if (session.lastHash !== prevHash) return result(events, { seq: Math.max(newestSeq, 1), problem: "altered" });
  }
  return result(events);
}
