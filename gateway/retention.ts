import { createDb, type Db } from "../lib/db/client.ts";
import { type PurgeResult, purgeRecordings } from "../lib/recording/purge-recordings.ts";
import type { Logger } from "./log.ts";

// The scheduled retention purge (RECORDING_RETENTION_DAYS): once shortly after start, then hourly.
// Every replica schedules it; purgeRecordings' advisory lock lets one of them run at a time.

export const RETENTION_INTERVAL_MS = 60 * 60_000;
/** The first run waits this long, so start-up (migrations, listening) is not slowed by it. */
export const RETENTION_FIRST_RUN_MS = 10_000;

export interface RetentionOptions {
  databaseUrl: string;
  retentionDays: number;
  vaultKey: Uint8Array;
  log: Logger;
  intervalMs?: number;
  firstRunMs?: number;
}

export interface Retention {
  /** Runs a purge now (or waits for the one under way). */
  runNow(): Promise<PurgeResult | undefined>;
  /** Stops the schedule, waits for a purge under way, closes the database client. */
  stop(): Promise<void>;
}

export function startRetention(options: RetentionOptions): Retention {
  const log = options.log.child({ component: "retention" });
  const db: Db = createDb(options.databaseUrl);
  let running: Promise<PurgeResult | undefined> | undefined;
  let stopped = false;

  const run = (): Promise<PurgeResult | undefined> => {
    if (stopped) return Promise.resolve(undefined);
    running ??= purgeRecordings({ db, databaseUrl: options.databaseUrl, retentionDays: options.retentionDays, vaultKey: options.vaultKey })
      .then((result) => {
        if (result.ran && result.sessions > 0) {
          log.info("recordings purged", {
            sessions: result.sessions,
            events: result.events,
            batches: result.batches,
            cutoff: result.cutoff,
          });
        } else if (!result.ran && result.reason === "locked") {
          log.info("retention purge skipped: another replica is purging");
        }
        return result;
      })
      .catch((error: Error) => {
        // Retried at the next tick (e.g. while the database is unreachable).
        log.error("retention purge failed", { error: error.message });
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };

  const first = setTimeout(() => void run(), options.firstRunMs ?? RETENTION_FIRST_RUN_MS);
  const timer = setInterval(() => void run(), options.intervalMs ?? RETENTION_INTERVAL_MS);
  first.unref();
  timer.unref();
  log.info("retention scheduled", { retentionDays: options.retentionDays });

  return {
    runNow: run,
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
      await db.$disconnect();
    },
  };
}
