import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { canonicalJson, chainHash, GENESIS_HASH } from "../hash.ts";
import { findVisibleSession } from "./sessions.ts";
import type { SessionVerification } from "./views.ts";

export type { SessionVerification };

const PAGE = 1000;

interface StoredEvent {
  seq: number;
  at: Date;
  direction: string;
  payload: unknown;
  raw: string | null;
  decision: string | null;
  masked: unknown;
  replyToSeq: number | null;
  latencyMs: number | null;
  prevHash: string;
  hash: string;
}

/** The record an event's hash covers, as the recorder built it (annotations and pairing only when present). */
function hashedRecord(row: StoredEvent, payload: unknown): Record<string, unknown> {
  return {
    seq: row.seq,
    at: row.at.toISOString(),
    direction: row.direction,
    payload,
    ...(row.decision ? { decision: row.decision } : {}),
    ...(row.masked !== null && row.masked !== undefined ? { masked: row.masked } : {}),
    ...(row.replyToSeq !== null ? { replyToSeq: row.replyToSeq } : {}),
    ...(row.latencyMs !== null ? { latencyMs: row.latencyMs } : {}),
  };
}

/**
 * The payload the hash must cover: the replay shows `raw` (the message as sent) when it is
 * stored, so that is what is checked; the jsonb copy (used for search) must say the same.
 * undefined when the two disagree or `raw` is not JSON: the row was altered.
 */
function checkedPayload(row: StoredEvent): { payload: unknown } | undefined {
  if (row.raw === null) return { payload: row.payload };
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.raw);
  } catch {
    return undefined;
  }
  return canonicalJson(parsed) === canonicalJson(row.payload) ? { payload: parsed } : undefined;
}

/**
 * Recomputes a session's hash chain from the stored rows and names the first event that was
 * altered or is missing:
 * - `missing`: a gap in seq (the first absent seq is named), or events deleted from the end (the
 *   stored chain head is past the newest row);
 * - `altered`: a row's hash does not match its contents (jsonb key order does not matter: hashes
 *   use canonical JSON; the message as sent, `raw`, and its jsonb copy must agree), or the row at
 *   the stored head does not have the stored hash;
 * - `chain-broken`: a row's prevHash is not its predecessor's hash (rows rewritten with fresh hashes);
 * - `out-of-order`: a row's time is before its predecessor's.
 *
 * The stored head: when the session ended, the recording must end exactly there. While it is open
 * the gateway checkpoints the head of what is committed (every 30 s or so): events up to it must
 * exist and end with its hash; newer events may follow.
 */
export async function verifySession(db: Db, options: { actor: Actor; sessionId: string }): Promise<SessionVerification> {
  const session = await findVisibleSession(db, options.actor, options.sessionId);
  return verifySessionChain(db, {
    sessionId: session.id,
    lastSeq: session.lastSeq,
    lastHash: session.lastHash,
    open: session.endedAt === null,
  });
}

export async function verifySessionChain(
  db: Db,
  /** `open`: the session has not ended, so its stored head (if any) is a checkpoint that newer events may follow. */
  session: { sessionId: string; lastSeq: number | null; lastHash: string | null; open?: boolean },
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
  /** The hash of the event at the stored head's seq, once the walk passes it. */
  let hashAtHead: string | undefined = session.lastSeq === 0 ? GENESIS_HASH : undefined;
  for (;;) {
    const rows: StoredEvent[] = await db.sessionEvent.findMany({
      where: { sessionId: session.sessionId, seq: { gte: expectedSeq } },
      orderBy: { seq: "asc" },
      take: PAGE,
      select: {
        seq: true,
        at: true,
        direction: true,
        payload: true,
        raw: true,
        decision: true,
        masked: true,
        replyToSeq: true,
        latencyMs: true,
        prevHash: true,
        hash: true,
      },
    });
    for (const row of rows) {
      events++;
      if (row.seq !== expectedSeq) return result(events, { seq: expectedSeq, problem: "missing" });
      const checked = checkedPayload(row);
      if (!checked || chainHash(row.prevHash, hashedRecord(row, checked.payload)) !== row.hash) {
        return result(events, { seq: row.seq, problem: "altered" });
      }
      if (row.prevHash !== prevHash) return result(events, { seq: row.seq, problem: "chain-broken" });
      if (prevAt && row.at < prevAt) return result(events, { seq: row.seq, problem: "out-of-order" });
      prevHash = row.hash;
      prevAt = row.at;
      if (row.seq === session.lastSeq) hashAtHead = row.hash;
      expectedSeq++;
    }
    if (rows.length < PAGE) break;
  }
  const newestSeq = expectedSeq - 1;
  if (session.lastSeq !== null) {
    if (newestSeq < session.lastSeq) return result(events, { seq: newestSeq + 1, problem: "missing" });
    if (session.open) {
      // A checkpoint of an open session: newer events may follow it, but it must still be there.
      if (hashAtHead !== session.lastHash) return result(events, { seq: Math.max(session.lastSeq, 1), problem: "altered" });
      return result(events);
    }
    if (newestSeq > session.lastSeq) return result(events, { seq: session.lastSeq + 1, problem: "chain-broken" });
    if (session.lastHash !== prevHash) return result(events, { seq: Math.max(newestSeq, 1), problem: "altered" });
  }
  return result(events);
}
