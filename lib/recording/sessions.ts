import { presentUser } from "../access/present.ts";
import { type Actor, can } from "../authz/permissions.ts";
import type { Db, DbOrTx } from "../db/client.ts";
import { Prisma } from "../db/generated/client.ts";
import { AppError } from "../errors.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import { GENESIS_HASH } from "../hash.ts";
import { SESSION_EVENTS_PAGE } from "./limits.ts";
import type { SessionEventView, SessionView } from "./views.ts";

/** The API's shapes of sessions and their events: the zod schemas in ./views.ts (the OpenAPI document's). */
export type { SessionEventView, SessionView };

export async function startSession(
  db: Db,
  options: {
    grantId: string;
    gatewayTokenId?: string | null;
    userId: string;
    connectionId: string;
    transport: string;
    protocolVersion?: string | null;
    clientInfo?: unknown;
    /** The gateway instance that owns the session (GatewayInstance.id); default: the one bound to `db`. */
    gatewayInstanceId?: string | null;
  },
): Promise<string> {
  const row = await db.session.create({
    data: {
      grantId: options.grantId,
      gatewayTokenId: options.gatewayTokenId ?? null,
      userId: options.userId,
      connectionId: options.connectionId,
      transport: options.transport,
      protocolVersion: options.protocolVersion ?? null,
      clientInfo: (options.clientInfo ?? undefined) as object | undefined,
      gatewayInstanceId: options.gatewayInstanceId ?? null,
    },
  });
  await notifySessions(db, row.id);
  return row.id;
}

/**
 * Ends a session and stores its recording's chain head (`head`, from the recorder, or else the
 * newest stored event — or the head checkpointed while it was open, if that is further): verification
 * compares it, so deleting the newest events shows.
 */
export async function endSession(
  db: Db,
  options: { sessionId: string; reason: string; head?: { seq: number; hash: string } },
): Promise<void> {
  const head = options.head ?? (await storedChainHead(db, options.sessionId));
  await db.session.updateMany({
    where: { id: options.sessionId, endedAt: null },
    data: { endedAt: new Date(), endReason: options.reason, lastSeq: head.seq, lastHash: head.hash },
  });
  await notifySessions(db, options.sessionId);
}

/**
 * Checkpoints an open session's chain head (its newest committed event): verification then
 * requires the events up to it to exist and end with its hash. Ignored once the session ended.
 */
export async function storeSessionHead(db: Db, options: { sessionId: string; head: { seq: number; hash: string } }): Promise<void> {
  await db.session.updateMany({
    where: { id: options.sessionId, endedAt: null },
    data: { lastSeq: options.head.seq, lastHash: options.head.hash },
  });
}

async function storedChainHead(db: Db, sessionId: string): Promise<{ seq: number; hash: string }> {
  const [newest, checkpoint] = await Promise.all([
    db.sessionEvent.findFirst({ where: { sessionId }, orderBy: { seq: "desc" }, select: { seq: true, hash: true } }),
    db.session.findUnique({ where: { id: sessionId }, select: { lastSeq: true, lastHash: true } }),
  ]);
  // Events past the checkpoint are gone: keep the checkpoint, so that shows as missing events.
  if (checkpoint?.lastSeq != null && checkpoint.lastHash !== null && checkpoint.lastSeq > (newest?.seq ?? 0)) {
    return { seq: checkpoint.lastSeq, hash: checkpoint.lastHash };
  }
  return newest ?? { seq: 0, hash: GENESIS_HASH };
}

/** Live dashboards learn of session starts and ends; losing such a hint is harmless. */
async function notifySessions(db: DbOrTx, sessionId: string): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${LIVE_CHANNELS.sessions}, ${sessionId})`.catch(() => undefined);
}

/**
 * Ends sessions left open by a gateway that is gone: their recorder is gone too, so their chain head
 * is the newest stored event — or the head checkpointed while they were open, if that is further
 * (events past the newest are gone, which verification then shows). Without `gatewayInstanceIds`
 * every open session: only for a single-gateway deployment at start-up (npm start). With them, the
 * open sessions those instances own (a live gateway's sweep for lost instances, gateway/instance.ts).
 * One statement; returns how many sessions it ended (each announced on the sessions channel).
 */
export async function endOrphanedSessions(
  db: DbOrTx,
  options: { reason: string; gatewayInstanceIds?: string[]; startedBefore?: Date; now?: Date },
): Promise<number> {
  if (options.gatewayInstanceIds?.length === 0) return 0;
  const owned = options.gatewayInstanceIds
    ? Prisma.sql`AND o."gatewayInstanceId" IN (${Prisma.join(options.gatewayInstanceIds)})`
    : Prisma.empty;
  const before = options.startedBefore ? Prisma.sql`AND o."startedAt" < ${options.startedBefore}` : Prisma.empty;
  const now = options.now ?? new Date();
  const rows = await db.$queryRaw<Array<{ id: string }>>`UPDATE "Session" s
      SET "lastSeq" = head.seq, "lastHash" = head.hash, "endedAt" = ${now}, "endReason" = ${options.reason}
      FROM (
        SELECT o.id,
          CASE WHEN o."lastSeq" IS NOT NULL AND o."lastHash" IS NOT NULL AND o."lastSeq" > COALESCE(n.seq, 0) THEN o."lastSeq" ELSE COALESCE(n.seq, 0) END AS seq,
          CASE WHEN o."lastSeq" IS NOT NULL AND o."lastHash" IS NOT NULL AND o."lastSeq" > COALESCE(n.seq, 0) THEN o."lastHash" ELSE COALESCE(n.hash, ${GENESIS_HASH}) END AS hash
        FROM "Session" o
        LEFT JOIN LATERAL (SELECT e.seq, e.hash FROM "SessionEvent" e WHERE e."sessionId" = o.id ORDER BY e.seq DESC LIMIT 1) n ON true
        WHERE o."endedAt" IS NULL ${owned} ${before}
      ) head
      WHERE s.id = head.id AND s."endedAt" IS NULL
      RETURNING s.id`;
  for (const { id } of rows) await notifySessions(db, id);
  return rows.length;
}

/** What presentSession needs of a session row (the sessions list hydrates its page with it too). */
export const sessionInclude = {
  user: { select: { id: true, email: true, name: true } },
  connection: { select: { slug: true, name: true } },
  _count: { select: { events: true } },
} as const;

export type SessionRow = Awaited<ReturnType<Db["session"]["findFirstOrThrow"]>> & {
  user: { id: string; email: string; name: string | null };
  connection: { slug: string; name: string };
  _count: { events: number };
};

export function presentSession(row: SessionRow): SessionView {
  return {
    id: row.id,
    grantId: row.grantId,
    user: presentUser(row.user),
    connection: row.connection,
    transport: row.transport,
    protocolVersion: row.protocolVersion,
    clientInfo: row.clientInfo,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    endReason: row.endReason,
    eventCount: row._count.events,
  };
}

/** Sessions the actor may see: their own, or everyone's with sessions:read:all. */
function visibleTo(actor: Actor) {
  return can(actor, "sessions:read:all") ? {} : { userId: actor.id };
}

export async function findVisibleSession(db: Db, actor: Actor, sessionId: string): Promise<SessionRow> {
  const row = await db.session.findFirst({ where: { id: sessionId, ...visibleTo(actor) }, include: sessionInclude });
  // Someone else's session is answered exactly like one that does not exist: no hint that it does.
  if (!row) throw new AppError("NOT_FOUND", `No session ${sessionId}.`);
  return row;
}

export async function getSession(db: Db, options: { actor: Actor; sessionId: string }): Promise<SessionView> {
  return presentSession(await findVisibleSession(db, options.actor, options.sessionId));
}

export async function listSessionEvents(
  db: Db,
  options: { actor: Actor; sessionId: string; afterSeq?: number },
): Promise<SessionEventView[]> {
  await findVisibleSession(db, options.actor, options.sessionId);
  const rows = await db.sessionEvent.findMany({
    where: { sessionId: options.sessionId, seq: { gt: options.afterSeq ?? 0 } },
    orderBy: { seq: "asc" },
    take: SESSION_EVENTS_PAGE,
  });
  return rows.map(
    (row): SessionEventView => ({
      seq: row.seq,
      at: row.at.toISOString(),
      direction: row.direction,
      kind: row.kind,
      rpcId: row.rpcId,
      method: row.method,
      tool: row.tool,
      // `raw` keeps the key order the message was sent in; `payload` (jsonb) sorts keys.
      payload: row.raw === null ? row.payload : JSON.parse(row.raw),
      decision: row.decision,
      masked: row.masked as Record<string, number> | null,
      replyToSeq: row.replyToSeq,
      latencyMs: row.latencyMs,
      hash: row.hash,
    }),
  );
}
