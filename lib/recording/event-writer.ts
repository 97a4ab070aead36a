import { performance } from "node:perf_hooks";
import pg from "pg";
import type { Direction } from "../db/generated/enums.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";

export interface EventRow {
  sessionId: string;
  seq: number;
  at: Date;
  direction: Direction;
  kind: string;
  rpcId: string | null;
  method: string | null;
  tool: string | null;
  payload: unknown;
  /** The policy decision on a client request (allow, deny, require-approval), or how a held call ended (approved, denied, …); null otherwise. */
  decision: string | null;
  /** Values masked before the payload was stored, by kind (e.g. {"email": 2}); null when none. */
  masked: Record<string, number> | null;
  /** For a response: the seq of the request it answers, and the milliseconds between the two. */
  replyToSeq?: number | null;
  latencyMs?: number | null;
  prevHash: string;
  hash: string;
}

/** A named statement: pg prepares it once per connection and then only binds values. */
export interface NamedQuery {
  name: string;
  text: string;
  values: unknown[];
}

/** The part of a pg Pool the writer uses (tests wrap it to count or fail statements). */
export interface Queryable {
  query(query: NamedQuery): Promise<unknown>;
  end(): Promise<void>;
}

interface Pending {
  row: EventRow;
  resolve: () => void;
  reject: (error: Error) => void;
}

// One multi-row INSERT per batch: every column travels as one array parameter. Sent as a named
// prepared statement: Postgres parses and plans it once per connection instead of on every commit.
// The payload travels once, as JSON text: stored as sent in "raw" (key order kept) and cast to
// jsonb for search.
const INSERT_BATCH_NAME = "tollgate_session_events_insert";
const INSERT_ROWS = `
  INSERT INTO "SessionEvent" ("sessionId", "seq", "at", "direction", "kind", "rpcId", "method", "tool", "payload", "raw", "decision", "masked", "replyToSeq", "latencyMs", "prevHash", "hash")
  SELECT s, q, a, d, k, i, m, t, r::jsonb, r, dc, mk, rp, l, ph, h
  FROM unnest($1::text[], $2::int[], $3::timestamp(3)[], $4::"Direction"[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], $12::int[], $13::float8[], $14::text[], $15::text[])
    AS u(s, q, a, d, k, i, m, t, r, dc, mk, rp, l, ph, h)`;
// The same INSERT that also tells live tails (NOTIFY, delivered on commit) the newest seq of each
// session in the batch, at no extra round trip.
const INSERT_NOTIFY_NAME = "tollgate_session_events_insert_notify";
const INSERT_NOTIFY = `
WITH ins AS (${INSERT_ROWS}
  RETURNING "sessionId", "seq"
)
SELECT pg_notify('${LIVE_CHANNELS.sessionEvents}', "sessionId" || ':' || max("seq")) FROM ins GROUP BY "sessionId"`;
// A batch of one (every commit when calls come one at a time) as a plain VALUES row: Postgres
// skips unnesting 15 one-element arrays, about 0.08 ms of a lone commit on the development machine.
const INSERT_ONE_NAME = "tollgate_session_events_insert_one";
const INSERT_ONE = `
  INSERT INTO "SessionEvent" ("sessionId", "seq", "at", "direction", "kind", "rpcId", "method", "tool", "payload", "raw", "decision", "masked", "replyToSeq", "latencyMs", "prevHash", "hash")
  VALUES ($1, $2, $3::timestamp(3), $4::"Direction", $5, $6, $7, $8, $9::text::jsonb, $9::text, $10, $11::jsonb, $12::int, $13::float8, $14, $15)`;
const INSERT_ONE_NOTIFY_NAME = "tollgate_session_events_insert_one_notify";
const INSERT_ONE_NOTIFY = `
WITH ins AS (${INSERT_ONE}
  RETURNING "sessionId", "seq"
)
SELECT pg_notify('${LIVE_CHANNELS.sessionEvents}', "sessionId" || ':' || "seq") FROM ins`;
// The search copy of committed events' text (SessionEventText, with the trigram index): written
// after the commit, so nobody waits for the indexing. A row already there (the sweep) is kept.
const INSERT_TEXT_NAME = "tollgate_session_event_text_insert";
const INSERT_TEXT = `
  INSERT INTO "SessionEventText" ("sessionId", "seq", "raw")
  SELECT s, q, r FROM unnest($1::text[], $2::int[], $3::text[]) AS u(s, q, r)
  ON CONFLICT DO NOTHING`;
/**
 * Search copies are written at most this often, or as soon as a batch is full: one statement then
 * carries the copies of many commits, instead of a round trip (and a wake-up of a Postgres backend,
 * competing with the upstream for the CPUs) after every commit. Search lags by about this much.
 */
export const TEXT_EVERY_MS = 50;
/** Search rows kept for a retry after a failed write; beyond this the oldest are given up (logged). */
const MAX_TEXT_BACKLOG = 10_000;
/**
 * Search rows waiting to be copied beyond which the next commit waits for the copies: under
 * sustained load the copies cost Postgres as much CPU as indexing in the commit did, and must not
 * fall behind without bound (memory, search lag). While copies fail, commits do not wait.
 */
const TEXT_BACKLOG_PAUSE = 5_000;

interface SearchText {
  sessionId: string;
  seq: number;
  raw: string;
}

// What a burst left unannounced, in one statement: payloads "<sessionId>:<seq>".
const NOTIFY_NAME = "tollgate_session_events_notify";
const NOTIFY = `SELECT pg_notify('${LIVE_CHANNELS.sessionEvents}', p) FROM unnest($1::text[]) AS p`;

/** The statements' parameters in order, from one row and its JSON text (a batch sends each as an array over its rows). */
const COLUMNS: Array<(row: EventRow, raw: string) => unknown> = [
  (row) => row.sessionId,
  (row) => row.seq,
  (row) => row.at.toISOString(),
  (row) => row.direction,
  (row) => row.kind,
  (row) => row.rpcId,
  (row) => row.method,
  (row) => row.tool,
  // The payload as sent (after masking): its keys in the order they arrived.
  (_row, raw) => raw,
  (row) => row.decision,
  (row) => (row.masked ? JSON.stringify(row.masked) : null),
  (row) => row.replyToSeq ?? null,
  (row) => row.latencyMs ?? null,
  (row) => row.prevHash,
  (row) => row.hash,
];

/**
 * A NOTIFY costs its commit about 0.1 ms (the notification queue, waking listeners): under load the
 * writer announces at most this often — the commit that comes after a quiet spell carries the NOTIFY
 * in its INSERT, and what commits within this window is announced together when it ends. Live tails
 * thus learn of every commit within this long.
 */
export const NOTIFY_EVERY_MS = 50;

/**
 * Group commit for recordings. Writes queue up while a batch is being committed and go out
 * together in the next one, so under load many messages share one round trip and one fsync;
 * a lone message still commits at once. `write` resolves only after its row is committed.
 */
export class EventWriter {
  private queue: Pending[] = [];
  private flushing = false;
  /** Rows of the batch being committed right now. */
  private committing = 0;
  /** When the last NOTIFY went out (`performance.now()`). */
  private notifiedAt = Number.NEGATIVE_INFINITY;
  /** Sessions with committed events not announced yet: their newest committed seq. */
  private readonly unannounced = new Map<string, number>();
  private announceTimer: NodeJS.Timeout | undefined;
  /** Committed events whose text is not in SessionEventText yet. */
  private texts: SearchText[] = [];
  private writingTexts = false;
  private textTimer: NodeJS.Timeout | undefined;
  /** The last search copy failed: commits stop waiting for the copies (see TEXT_BACKLOG_PAUSE). */
  private textsFailing = false;
  /** Set by close(): a failed search copy is not retried any more. */
  private closing = false;

  constructor(
    private readonly pool: Queryable,
    private readonly maxBatch = 500,
    private readonly options: {
      notifyEveryMs?: number;
      onTextError?: (error: Error, rows: number) => void;
      /** Search copies are written at most this often (TEXT_EVERY_MS), or when a batch is full. */
      textEveryMs?: number;
      /** Where the search copies go (default: `pool`). */
      textPool?: Queryable;
    } = {},
  ) {}

  static connect(
    databaseUrl: string,
    options: { maxConnections?: number; onError?: (error: Error) => void; onTextError?: (error: Error, rows: number) => void } = {},
  ): EventWriter {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 2 });
    // The search copies on a connection of their own that does not wait for the WAL flush at
    // commit: they are an index, not the recording (the events are committed durably before),
    // and what a crash loses is each session's newest copies, which the gateway's sweep fills in.
    const textPool = new pg.Pool({ connectionString: databaseUrl, max: 1, options: "-c synchronous_commit=off" });
    // An idle connection dropped by the server must not crash the process; the next write fails instead.
    pool.on("error", (error) => options.onError?.(error));
    textPool.on("error", (error) => options.onError?.(error));
    return new EventWriter(pool, 500, { textPool, ...(options.onTextError ? { onTextError: options.onTextError } : {}) });
  }

  private get notifyEveryMs(): number {
    return this.options.notifyEveryMs ?? NOTIFY_EVERY_MS;
  }

  /** Rows waiting to be committed: queued plus the batch in flight (the gateway's `recorder_queue_depth`). */
  get backlog(): number {
    return this.queue.length + this.committing;
  }

  write(row: EventRow): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        while (this.texts.length > TEXT_BACKLOG_PAUSE && this.writingTexts && !this.textsFailing) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        const batch = this.queue.splice(0, this.maxBatch);
        this.committing = batch.length;
        try {
          const rows = batch.map((pending) => pending.row);
          const raws = rows.map((row) => JSON.stringify(row.payload));
          await this.insert(rows, raws);
          this.committing = 0;
          for (const pending of batch) pending.resolve();
          this.queueTexts(rows, raws);
        } catch (error) {
          this.committing = 0;
          for (const pending of batch) pending.reject(error as Error);
        }
      }
    } finally {
      this.committing = 0;
      this.flushing = false;
    }
  }

  /** Hands committed events' text to the search copy, which nobody waits for. */
  private queueTexts(rows: EventRow[], raws: string[]): void {
    for (let i = 0; i < rows.length; i++) this.texts.push({ sessionId: rows[i]!.sessionId, seq: rows[i]!.seq, raw: raws[i]! });
    if (this.writingTexts) return;
    if (this.texts.length >= this.maxBatch) this.startTexts();
    else this.textTimer ??= setTimeout(() => this.startTexts(), this.options.textEveryMs ?? TEXT_EVERY_MS).unref();
  }

  private startTexts(): void {
    clearTimeout(this.textTimer);
    this.textTimer = undefined;
    if (!this.writingTexts) void this.writeTexts();
  }

  private async writeTexts(): Promise<void> {
    this.writingTexts = true;
    try {
      while (this.texts.length > 0) {
        const batch = this.texts.splice(0, this.maxBatch);
        try {
          await (this.options.textPool ?? this.pool).query({
            name: INSERT_TEXT_NAME,
            text: INSERT_TEXT,
            values: [batch.map((text) => text.sessionId), batch.map((text) => text.seq), batch.map((text) => text.raw)],
          });
          this.textsFailing = false;
        } catch (error) {
          this.textsFailing = true;
          this.options.onTextError?.(error as Error, batch.length);
          // Kept for the next attempt (bounded); the gateway's sweep also fills in a session's missing tail.
          this.texts = [...batch, ...this.texts].slice(-MAX_TEXT_BACKLOG);
          await new Promise((resolve) => setTimeout(resolve, 1000).unref());
          if (this.closing) return;
        }
      }
    } finally {
      this.writingTexts = false;
    }
  }

  /** Resolves once every committed event's text was handed to SessionEventText (tests; shutdown). */
  async textsWritten(): Promise<void> {
    if (this.textTimer) this.startTexts();
    while (this.writingTexts || (this.texts.length > 0 && !this.closing)) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  private async insert(rows: EventRow[], raws: string[]): Promise<void> {
    const announce = performance.now() - this.notifiedAt >= this.notifyEveryMs;
    const only = rows.length === 1 ? rows[0] : undefined;
    if (only) {
      await this.pool.query({
        name: announce ? INSERT_ONE_NOTIFY_NAME : INSERT_ONE_NAME,
        text: announce ? INSERT_ONE_NOTIFY : INSERT_ONE,
        values: COLUMNS.map((toValue) => toValue(only, raws[0]!)),
      });
    } else {
      await this.pool.query({
        name: announce ? INSERT_NOTIFY_NAME : INSERT_BATCH_NAME,
        text: announce ? INSERT_NOTIFY : INSERT_ROWS,
        values: COLUMNS.map((toValue) => rows.map((row, i) => toValue(row, raws[i]!))),
      });
    }
    if (announce) {
      this.notifiedAt = performance.now();
      // Announced with this batch's newest seq (rows of a session commit in seq order).
      for (const row of rows) this.unannounced.delete(row.sessionId);
      if (this.unannounced.size > 0) this.scheduleAnnouncement();
    } else {
      for (const row of rows) this.unannounced.set(row.sessionId, Math.max(row.seq, this.unannounced.get(row.sessionId) ?? 0));
      this.scheduleAnnouncement();
    }
  }

  private scheduleAnnouncement(): void {
    if (this.announceTimer) return;
    const wait = Math.max(0, this.notifyEveryMs - (performance.now() - this.notifiedAt));
    this.announceTimer = setTimeout(() => void this.announce(), wait);
  }

  /** Announces every session with unannounced commits; a lost hint only delays a live tail. */
  private async announce(): Promise<void> {
    this.announceTimer = undefined;
    if (this.unannounced.size === 0) return;
    const payloads = [...this.unannounced].map(([sessionId, seq]) => `${sessionId}:${seq}`);
    this.unannounced.clear();
    this.notifiedAt = performance.now();
    await this.pool.query({ name: NOTIFY_NAME, text: NOTIFY, values: [payloads] }).catch(() => undefined);
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // What is still unwritten after a failure is left to the next gateway's sweep.
    this.closing = true;
    await this.textsWritten();
    clearTimeout(this.announceTimer);
    await this.announce();
    await this.pool.end();
    if (this.options.textPool && this.options.textPool !== this.pool) await this.options.textPool.end();
  }
}
