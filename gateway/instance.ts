import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Db } from "../lib/db/client.ts";
import { Prisma } from "../lib/db/generated/client.ts";
import { abandonHeldCalls, abandonHeldCallsIn } from "../lib/held-calls/abandon-held-calls.ts";
import { endOrphanedSessions } from "../lib/recording/sessions.ts";
import type { Logger } from "./log.ts";

// Every gateway process is a GatewayInstance row: registered on start, a heartbeat every 10 s,
// stoppedAt on a clean shutdown. Sessions and held calls name the instance that owns them. An
// instance whose heartbeat is older than GATEWAY_LOST_AFTER_MS, or that stopped, is lost: any live
// gateway (one at a time, under an advisory lock) ends its open sessions ("gateway lost") and
// abandons its pending held calls — at start at once, then every 30 s. A gateway that finds itself
// declared lost (its heartbeat lapsed, e.g. the database was unreachable for a minute) closes its
// own sessions, since their rows are ended, and registers again.

/** How often a gateway heartbeats (one UPDATE). */
export const GATEWAY_HEARTBEAT_MS = 10_000;
/** An instance whose heartbeat is older than this is lost. */
export const GATEWAY_LOST_AFTER_MS = 60_000;
/** How often a gateway looks for lost instances. */
export const GATEWAY_LOST_SWEEP_MS = 30_000;
/** Rows of instances gone this long, with nothing left open, are deleted. */
export const GATEWAY_INSTANCE_KEEP_MS = 7 * 24 * 60 * 60_000;
/** Transaction-scoped advisory lock of the lost-instance sweep (7426001 migrations, 2 audit, 3 policies, 4 purge). */
const LOST_SWEEP_LOCK = 7426005;

/** The database clock in UTC, as Prisma stores DateTime columns (timestamp without time zone). */
const DB_NOW = Prisma.sql`(now() AT TIME ZONE 'UTC')`;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

export interface LostSweepResult {
  /** Instances found lost by this sweep (stale heartbeat or stopped, with something still open). */
  instances: string[];
  sessions: number;
  heldCalls: number;
  /** False when another gateway held the sweep's lock. */
  ran: boolean;
}

/**
 * Ends what lost gateway instances left open, in one transaction under a transaction-scoped
 * advisory lock (another gateway sweeping meanwhile: skipped). An instance found lost is marked
 * stopped, so it learns of it at its next heartbeat.
 */
export async function sweepLostInstances(
  db: Db,
  options: { self: string; lostAfterMs?: number; keepMs?: number },
): Promise<LostSweepResult> {
  const lostAfterMs = options.lostAfterMs ?? GATEWAY_LOST_AFTER_MS;
  const keepMs = options.keepMs ?? GATEWAY_INSTANCE_KEEP_MS;
  return db.$transaction(
    async (tx) => {
      const [{ locked }] = await tx.$queryRaw<[{ locked: boolean }]>`SELECT pg_try_advisory_xact_lock(${LOST_SWEEP_LOCK}) AS locked`;
      if (!locked) return { instances: [], sessions: 0, heldCalls: 0, ran: false };
      const cutoff = Prisma.sql`${DB_NOW} - ${lostAfterMs}::int * interval '1 millisecond'`;
      // The heartbeat is re-checked by the UPDATE: an instance that heartbeat meanwhile is not lost.
      const lost = await tx.$queryRaw<Array<{ id: string }>>`UPDATE "GatewayInstance" g
        SET "stoppedAt" = COALESCE(g."stoppedAt", ${DB_NOW})
        WHERE g."id" <> ${options.self}
          AND (g."stoppedAt" IS NOT NULL OR g."heartbeatAt" < ${cutoff})
          AND (EXISTS (SELECT 1 FROM "Session" s WHERE s."gatewayInstanceId" = g."id" AND s."endedAt" IS NULL)
            OR EXISTS (SELECT 1 FROM "HeldCall" h WHERE h."gatewayInstance" = g."id" AND h."status" = 'PENDING'))
        RETURNING g."id"`;
      const instances = lost.map((row) => row.id);
      const sessions = await endOrphanedSessions(tx, { reason: "gateway lost", gatewayInstanceIds: instances });
      const heldCalls = await abandonHeldCallsIn(tx, { gatewayInstance: instances, reason: "the gateway holding it was lost" });
      await tx.$executeRaw`DELETE FROM "GatewayInstance" g
        WHERE g."id" <> ${options.self}
          AND COALESCE(g."stoppedAt", g."heartbeatAt") < ${DB_NOW} - ${keepMs}::bigint * interval '1 millisecond'
          AND NOT EXISTS (SELECT 1 FROM "Session" s WHERE s."gatewayInstanceId" = g."id" AND s."endedAt" IS NULL)
          AND NOT EXISTS (SELECT 1 FROM "HeldCall" h WHERE h."gatewayInstance" = g."id" AND h."status" = 'PENDING')`;
      return { instances, sessions, heldCalls: heldCalls.length, ran: true };
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
}

export interface GatewayInstanceOptions {
  db: Db;
  id: string;
  log: Logger;
  /** Called when this instance finds it was declared lost: its sessions' rows are ended, so close them. */
  onLost: () => Promise<void>;
  heartbeatMs?: number;
  lostAfterMs?: number;
  lostSweepMs?: number;
}

/** This process's GatewayInstance row: registration, heartbeat, the lost-instance sweep, clean stop. */
export class GatewayInstance {
  private registered = false;
  /** What a previous run of this id left open is older than this process. */
  private readonly startedAt = new Date();
  private previousEnded = false;
  private serving = false;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;
  private readonly version = packageVersion();

  constructor(private readonly options: GatewayInstanceOptions) {}

  get id(): string {
    return this.options.id;
  }

  /**
   * Ends what a previous run of this id left open (its sessions, "gateway restarted"; its held
   * calls, abandoned), registers, sweeps lost instances at once, and starts the timers. Without the
   * database it logs and retries at every heartbeat; it never throws.
   */
  async start(): Promise<void> {
    await this.register();
    this.serving = true;
    await this.sweep();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.options.heartbeatMs ?? GATEWAY_HEARTBEAT_MS);
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.lostSweepMs ?? GATEWAY_LOST_SWEEP_MS);
    this.heartbeatTimer.unref();
    this.sweepTimer.unref();
  }

  private async register(): Promise<void> {
    const { db, id, log } = this.options;
    try {
      // A previous run of this id (GATEWAY_INSTANCE_ID) is gone: nothing it held can be live now.
      // Before serving, everything of this id is the previous run's; a retry (the database was
      // unreachable at start) takes only what is older than this process, which may serve meanwhile.
      if (!this.previousEnded) {
        const before = this.serving ? this.startedAt : undefined;
        const sessions = await endOrphanedSessions(db, {
          reason: "gateway restarted",
          gatewayInstanceIds: [id],
          ...(before ? { startedBefore: before } : {}),
        });
        if (sessions > 0) log.warn("sessions left open by a previous run ended", { count: sessions });
        const abandoned = await abandonHeldCalls(db, {
          gatewayInstance: id,
          reason: "the gateway holding it restarted",
          ...(before ? { createdBefore: before } : {}),
        });
        if (abandoned.length > 0) log.warn("held calls abandoned by a gateway restart", { count: abandoned.length });
        this.previousEnded = true;
      }
      await db.$executeRaw`INSERT INTO "GatewayInstance" ("id", "startedAt", "heartbeatAt", "stoppedAt", "hostname", "pid", "version")
        VALUES (${id}, ${DB_NOW}, ${DB_NOW}, NULL, ${hostname()}, ${process.pid}, ${this.version})
        ON CONFLICT ("id") DO UPDATE SET "startedAt" = EXCLUDED."startedAt", "heartbeatAt" = EXCLUDED."heartbeatAt",
          "stoppedAt" = NULL, "hostname" = EXCLUDED."hostname", "pid" = EXCLUDED."pid", "version" = EXCLUDED."version"`;
      this.registered = true;
    } catch (error) {
      log.warn("could not register the gateway instance", { error: (error as Error).message });
    }
  }

  /** One UPDATE; an instance found stopped was declared lost by another gateway. */
  heartbeat(): Promise<void> {
    this.beating ??= this.beat().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private async beat(): Promise<void> {
    const { db, id, log } = this.options;
    if (!this.registered) return this.register();
    try {
      const updated =
        await db.$executeRaw`UPDATE "GatewayInstance" SET "heartbeatAt" = ${DB_NOW} WHERE "id" = ${id} AND "stoppedAt" IS NULL`;
      if (updated > 0) return;
      log.error("this gateway was declared lost (its heartbeat lapsed): closing its sessions and registering again");
      await this.options.onLost().catch((error: Error) => log.warn("could not close sessions", { error: error.message }));
      this.registered = false;
      await this.register();
    } catch (error) {
      log.warn("gateway heartbeat failed", { error: (error as Error).message });
    }
  }

  /** Ends the sessions and held calls of lost instances; never throws. */
  async sweep(): Promise<LostSweepResult | undefined> {
    const { db, id, log } = this.options;
    try {
      const result = await sweepLostInstances(db, {
        self: id,
        ...(this.options.lostAfterMs !== undefined ? { lostAfterMs: this.options.lostAfterMs } : {}),
      });
      if (result.instances.length > 0) {
        log.warn("lost gateway instances cleaned up", {
          instances: result.instances,
          sessions: result.sessions,
          heldCalls: result.heldCalls,
        });
      }
      return result;
    } catch (error) {
      log.warn("could not sweep lost gateway instances", { error: (error as Error).message });
      return undefined;
    }
  }

  /** Stops the timers without marking the row (what a crash looks like to the others; tests). */
  suspend(): void {
    clearInterval(this.heartbeatTimer);
    clearInterval(this.sweepTimer);
  }

  /** Clean shutdown, after the sessions were ended: stoppedAt is set. */
  async stop(): Promise<void> {
    this.suspend();
    await this.beating;
    await this.options.db.$executeRaw`UPDATE "GatewayInstance" SET "stoppedAt" = ${DB_NOW} WHERE "id" = ${this.options.id}`.catch(
      (error: Error) => this.options.log.warn("could not mark the gateway instance stopped", { error: error.message }),
    );
  }
}
