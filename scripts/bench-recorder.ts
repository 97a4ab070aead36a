import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { createDb } from "../lib/db/client.ts";
import { databaseUrl, startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { migrate } from "../lib/db/migrate.ts";
import { EVERYTHING_CONNECTION } from "../lib/db/seed.ts";
import { type EventRow, EventWriter } from "../lib/recording/event-writer.ts";
import { grantAndMint, seedDemo } from "../test/fixtures.ts";
import { freePort } from "../test/global-setup.ts";

// `npx tsx scripts/bench-recorder.ts`: what payload search costs the recorder, per message.
//
// A real embedded Postgres (fsync on, as `npm run bench`), the real EventWriter (group commit, one
// named prepared INSERT … FROM unnest per batch), realistic MCP messages of 60 B – 8 KB (tools/call
// requests and results, resources/read results, tools/list results of 14 tools). One database per variant of
// the search index, cloned from one migrated template; the variants take turns, several rounds.
//
// Per variant: insert latency at c=1 (one message at a time, each awaited: p50/p99), throughput at
// c=32 (32 writers sharing one EventWriter for BENCH_SECONDS) and Postgres CPU per row (utime+stime
// of the postmaster's children from /proc, as scripts/bench.ts). Work an index defers (the GIN
// pending list, a background indexer) is done after the c=32 window and counted in "CPU incl.
// deferred".
//
// Knobs: BENCH_ROUNDS (3), BENCH_C1_ROWS (600), BENCH_SECONDS (3), BENCH_VARIANTS (a,b,b0,c,c0,d,f);
// BENCH_MESSAGES=echo writes `npm run bench`'s small echo messages instead of the realistic mix.

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const C1_ROWS = Number(process.env.BENCH_C1_ROWS ?? 600);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = 32;

// ---------------------------------------------------------------------------------------------
// Variants: SQL run on a freshly migrated database. Since 2026-11-22 that has no index on
// "SessionEvent".raw: the EventWriter copies each committed event's text to "SessionEventText",
// whose GIN index serves search, after the commit (variant b). The other variants put an index on
// "SessionEvent".raw back (what shipped before, and alternatives to it) and drop the copy's index.

interface Variant {
  key: string;
  label: string;
  setup: string;
  /** SQL that finishes the work the index deferred (run after the c=32 window, CPU counted). */
  catchUp?: string;
  /** A background step running while rows are written. */
  background?: { sql: string; everyMs: number };
}

const DROP_COPY_INDEX = `DROP INDEX "SessionEventText_raw_idx";`;
const OLD_INDEX = `CREATE INDEX "SessionEvent_raw_idx" ON "SessionEvent" USING GIN (raw gin_trgm_ops);`;
const CLEAN_PENDING = `SELECT gin_clean_pending_list('"SessionEvent_raw_idx"'::regclass)`;

const VARIANTS: Variant[] = [
  { key: "a", label: "no search index (copy unindexed)", setup: DROP_COPY_INDEX },
  {
    key: "b",
    label: "search copy after the commit (ships)",
    setup: "",
    catchUp: `SELECT gin_clean_pending_list('"SessionEventText_raw_idx"'::regclass)`,
  },
  { key: "b0", label: "GIN trgm on raw (shipped before)", setup: `${DROP_COPY_INDEX} ${OLD_INDEX}`, catchUp: CLEAN_PENDING },
  {
    key: "c",
    label: "GIN trgm on raw, pending list 64 MB",
    setup: `${DROP_COPY_INDEX} ${OLD_INDEX} ALTER INDEX "SessionEvent_raw_idx" SET (fastupdate = on, gin_pending_list_limit = 65536);`,
    catchUp: CLEAN_PENDING,
  },
  {
    key: "c0",
    label: "GIN trgm on raw, fastupdate off",
    setup: `${DROP_COPY_INDEX} ${OLD_INDEX} ALTER INDEX "SessionEvent_raw_idx" SET (fastupdate = off);`,
  },
  {
    key: "d",
    label: "GIN trgm on string leaves",
    // The JSON's string values only (no keys, no `{"jsonrpc":"2.0","id":…` boilerplate).
    setup: `${DROP_COPY_INDEX}
      CREATE FUNCTION tollgate_search_text(raw text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT string_agg(v #>> '{}', ' ') FROM jsonb_path_query(raw::jsonb, 'strict $.** ? (@.type() == "string")') AS v
      $$;
      CREATE INDEX "SessionEvent_raw_idx" ON "SessionEvent" USING GIN (tollgate_search_text(raw) gin_trgm_ops);`,
    catchUp: CLEAN_PENDING,
  },
  {
    key: "f",
    label: "GiST trgm on raw",
    setup: `${DROP_COPY_INDEX}
      CREATE INDEX "SessionEvent_raw_idx" ON "SessionEvent" USING GIST (raw gist_trgm_ops);`,
  },
];

// ---------------------------------------------------------------------------------------------
// Realistic MCP messages: a deterministic mix of sizes and shapes.

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(4711);
const SYLLABLES = ["ka", "lo", "mer", "tin", "so", "ra", "ven", "dul", "pi", "qua", "stor", "en", "ix", "bel", "no", "gra", "fu", "cel"];
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const word = () => Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(SYLLABLES)).join("");
const sentence = (words: number) => Array.from({ length: words }, word).join(" ");
const hex = (chars: number) => Array.from({ length: chars }, () => Math.floor(random() * 16).toString(16)).join("");

const TOOLS = Array.from({ length: 14 }, (_, i) => ({
  name: `${word()}_${word()}_${i}`,
  description: `${sentence(25 + Math.floor(random() * 30))}.`,
  inputSchema: {
    type: "object",
    properties: Object.fromEntries(
      Array.from({ length: 2 + Math.floor(random() * 3) }, () => [
        word(),
        { type: pick(["string", "number", "boolean"]), description: sentence(6) },
      ]),
    ),
    required: [word()],
  },
}));

type Message = { kind: "request" | "response"; method: string | null; tool: string | null; payload: Record<string, unknown> };

/** A client request and the upstream's answer to it. */
function exchange(id: number): [Message, Message] {
  const roll = random();
  if (roll < 0.08) {
    return [
      { kind: "request", method: "tools/list", tool: null, payload: { jsonrpc: "2.0", id, method: "tools/list", params: {} } },
      { kind: "response", method: null, tool: null, payload: { jsonrpc: "2.0", id, result: { tools: TOOLS } } },
    ];
  }
  if (roll < 0.25) {
    const uri = `file:///srv/${word()}/${word()}-${hex(8)}.md`;
    return [
      { kind: "request", method: "resources/read", tool: uri, payload: { jsonrpc: "2.0", id, method: "resources/read", params: { uri } } },
      {
        kind: "response",
        method: null,
        tool: null,
        payload: {
          jsonrpc: "2.0",
          id,
          result: { contents: [{ uri, mimeType: "text/markdown", text: sentence(200 + Math.floor(random() * 600)) }] },
        },
      },
    ];
  }
  const tool = pick(TOOLS);
  const args = { query: sentence(3 + Math.floor(random() * 8)), user: "[email]", ticket: `T-${hex(6)}`, limit: Math.floor(random() * 50) };
  return [
    {
      kind: "request",
      method: "tools/call",
      tool: tool.name,
      payload: { jsonrpc: "2.0", id, method: "tools/call", params: { name: tool.name, arguments: args } },
    },
    {
      kind: "response",
      method: null,
      tool: null,
      payload: {
        jsonrpc: "2.0",
        id,
        result: {
          content: [{ type: "text", text: sentence(20 + Math.floor(random() * 300)) }],
          structuredContent: { id: hex(12), ok: true },
        },
      },
    },
  ];
}

/** `npm run bench`'s messages: a tools/call of server-everything's echo and its answer (about 100 B each). */
function echo(id: number): [Message, Message] {
  const message = `hello ${hex(8)}`;
  return [
    {
      kind: "request",
      method: "tools/call",
      tool: "echo",
      payload: { jsonrpc: "2.0", id, method: "tools/call", params: { name: "echo", arguments: { message } } },
    },
    {
      kind: "response",
      method: null,
      tool: null,
      payload: { jsonrpc: "2.0", id, result: { content: [{ type: "text", text: `Echo: ${message}` }] } },
    },
  ];
}

const MESSAGES: Message[] = Array.from({ length: 1000 }, (_, i) =>
  process.env.BENCH_MESSAGES === "echo" ? echo(i + 1) : exchange(i + 1),
).flat();
const SIZES = MESSAGES.map((m) => Buffer.byteLength(JSON.stringify(m.payload)));
const MEAN_BYTES = SIZES.reduce((sum, size) => sum + size, 0) / SIZES.length;
const SIZE_RANGE = `${Math.min(...SIZES)}–${Math.max(...SIZES)} B`;

/** Rows for one session: its messages in order, with a per-writer sequence. */
class SessionStream {
  private seq = 0;
  private next: number;
  constructor(
    readonly sessionId: string,
    start: number,
  ) {
    this.next = start % MESSAGES.length;
  }
  row(): EventRow {
    const message = MESSAGES[this.next]!;
    this.next = (this.next + 1) % MESSAGES.length;
    this.seq += 1;
    return {
      sessionId: this.sessionId,
      seq: this.seq,
      at: new Date(),
      direction: message.kind === "request" ? "CLIENT_TO_UPSTREAM" : "UPSTREAM_TO_CLIENT",
      kind: message.kind,
      rpcId: String(message.payload.id),
      method: message.method,
      tool: message.tool,
      payload: message.payload,
      decision: message.kind === "request" ? "allow" : null,
      masked: null,
      prevHash: "0".repeat(64),
      hash: hex(64),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Postgres CPU from /proc (as scripts/bench.ts).

function cpuMs(postmaster: number): Map<number, number> | null {
  if (!existsSync(`/proc/${postmaster}/stat`)) return null;
  const used = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(entry) === postmaster || Number(fields[1]) === postmaster)
        used.set(Number(entry), (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The process ended meanwhile.
    }
  }
  return used;
}

function cpuDelta(before: Map<number, number> | null, after: Map<number, number> | null): number {
  if (!before || !after) return Number.NaN;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

// ---------------------------------------------------------------------------------------------

interface Sample {
  c1: number[];
  rowsPerSecond: number[];
  cpuWindow: number[];
  cpuAll: number[];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const median = (values: number[]) => percentile(values, 50);

async function runRound(variant: Variant, url: string, postmaster: number, sessionIds: string[], round: number, sample: Sample) {
  const writer = EventWriter.connect(url);
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  let background: NodeJS.Timeout | undefined;
  let backgroundRun: Promise<unknown> = Promise.resolve();
  try {
    if (variant.background) {
      const step = variant.background;
      background = setInterval(() => {
        backgroundRun = backgroundRun.then(() => admin.query(step.sql)).catch(() => undefined);
      }, step.everyMs);
    }
    // c=1: one message at a time, each awaited (a lone message commits at once).
    const lone = new SessionStream(sessionIds[round * (CONCURRENCY + 1)]!, round * 7919);
    for (let i = 0; i < 30; i += 1) await writer.write(lone.row());
    for (let i = 0; i < C1_ROWS; i += 1) {
      const started = performance.now();
      await writer.write(lone.row());
      sample.c1.push(performance.now() - started);
    }
    await writer.textsWritten();
    // c=32: writers sharing the EventWriter (group commit), for SECONDS.
    const streams = Array.from(
      { length: CONCURRENCY },
      (_, i) => new SessionStream(sessionIds[round * (CONCURRENCY + 1) + 1 + i]!, i * 131 + round),
    );
    await backgroundRun;
    const before = cpuMs(postmaster);
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    let rows = 0;
    await Promise.all(
      streams.map(async (stream) => {
        while (performance.now() < deadline) {
          await writer.write(stream.row());
          rows += 1;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const afterWindow = cpuMs(postmaster);
    // The search copies the writer makes after the commits count in "CPU incl. catch-up".
    await writer.textsWritten();
    clearInterval(background);
    background = undefined;
    await backgroundRun;
    if (variant.catchUp) await admin.query(variant.catchUp);
    const afterAll = cpuMs(postmaster);
    sample.rowsPerSecond.push(rows / elapsed);
    sample.cpuWindow.push(cpuDelta(before, afterWindow) / rows);
    sample.cpuAll.push(cpuDelta(before, afterAll) / rows);
  } finally {
    clearInterval(background);
    await backgroundRun;
    await admin.end();
    await writer.close();
  }
}

async function main(): Promise<void> {
  const load = os.loadavg().map((value) => value.toFixed(2));
  console.error(
    `bench-recorder: ${os.cpus().length} CPUs, load average ${load.join(" ")}; mean message ${Math.round(MEAN_BYTES)} B (${SIZE_RANGE})`,
  );
  const dir = await mkdtemp(path.join(os.tmpdir(), "tollgate-bench-recorder-"));
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port: await freePort(), persistent: false });
  try {
    const postmaster = Number(readFileSync(path.join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    const pgVersion = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version;

    // The template: migrated, demo users, one grant, the sessions every round writes to.
    await admin.query("CREATE DATABASE bench_template");
    const templateUrl = databaseUrl(postgres.adminUrl, "bench_template");
    await migrate({ databaseUrl: templateUrl });
    const db = createDb(templateUrl);
    const sessionIds = Array.from({ length: (ROUNDS + 1) * (CONCURRENCY + 1) }, (_, i) => `bench-session-${i}`);
    try {
      const { alice, bob } = await seedDemo(db);
      const { grantId } = await grantAndMint(db, { requester: alice, approver: bob, connection: EVERYTHING_CONNECTION.slug, minutes: 60 });
      const connection = await db.connection.findUniqueOrThrow({ where: { slug: EVERYTHING_CONNECTION.slug } });
      await db.session.createMany({
        data: sessionIds.map((id) => ({ id, grantId, userId: alice.id, connectionId: connection.id, transport: "streamable-http" })),
      });
    } finally {
      await db.$disconnect();
    }

    const variants = VARIANTS.filter((v) => (process.env.BENCH_VARIANTS ?? "a,b,b0,c,c0,d,f").split(",").includes(v.key));
    const urls = new Map<string, string>();
    for (const variant of variants) {
      const name = `bench_${variant.key}`;
      await admin.query(`CREATE DATABASE ${name} TEMPLATE bench_template`);
      urls.set(variant.key, databaseUrl(postgres.adminUrl, name));
      const client = new pg.Client({ connectionString: urls.get(variant.key) });
      await client.connect();
      await client.query(variant.setup).finally(() => client.end());
    }
    await admin.end();

    const samples = new Map(variants.map((v) => [v.key, { c1: [], rowsPerSecond: [], cpuWindow: [], cpuAll: [] } as Sample]));
    for (let round = 0; round < ROUNDS; round += 1) {
      // A different order each round, so no variant always follows the same one.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        await runRound(variant, urls.get(variant.key)!, postmaster, sessionIds, round, samples.get(variant.key)!);
        const s = samples.get(variant.key)!;
        console.error(
          `  round ${round + 1} ${variant.key.padEnd(2)} c=1 p50 ${median(s.c1).toFixed(2)} ms, c=32 ${Math.round(s.rowsPerSecond.at(-1)!)} rows/s, ` +
            `${s.cpuAll.at(-1)!.toFixed(3)} ms CPU/row`,
        );
      }
    }

    // Index size per row, for the record.
    const sizes = new Map<string, string>();
    for (const variant of variants) {
      const client = new pg.Client({ connectionString: urls.get(variant.key) });
      await client.connect();
      try {
        const { rows } = await client.query<{ rows: string; bytes: string | null }>(
          `SELECT (SELECT count(*) FROM "SessionEvent") AS rows,
                  (SELECT sum(pg_relation_size(indexrelid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE c.relname IN ('SessionEvent_raw_idx', 'SessionEventText_raw_idx')) AS bytes`,
        );
        const bytes = rows[0]?.bytes ? Number(rows[0].bytes) : 0;
        sizes.set(variant.key, bytes ? `${Math.round(bytes / Number(rows[0]!.rows))} B` : "-");
      } finally {
        await client.end();
      }
    }

    const base = samples.get("a");
    const header = [
      "variant",
      "c=1 p50 ms",
      "c=1 p99 ms",
      "+p50 vs a",
      "c=32 rows/s",
      "vs a",
      "PG CPU ms/row",
      "incl. deferred",
      "index B/row",
    ];
    const lines = variants.map((variant) => {
      const s = samples.get(variant.key)!;
      const p50 = median(s.c1);
      const rps = median(s.rowsPerSecond);
      return [
        `${variant.key}  ${variant.label}`,
        p50.toFixed(2),
        percentile(s.c1, 99).toFixed(2),
        base ? `${p50 - median(base.c1) >= 0 ? "+" : ""}${(p50 - median(base.c1)).toFixed(2)}` : "",
        String(Math.round(rps)),
        base ? `${((rps / median(base.rowsPerSecond)) * 100).toFixed(0)}%` : "",
        median(s.cpuWindow).toFixed(3),
        median(s.cpuAll).toFixed(3),
        sizes.get(variant.key) ?? "",
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
    const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
    console.log(
      `recorder inserts, PostgreSQL ${pgVersion}, fsync on; ${ROUNDS} rounds × (${C1_ROWS} rows at c=1, ${SECONDS} s at c=${CONCURRENCY}); ` +
        `messages ${SIZE_RANGE}, mean ${Math.round(MEAN_BYTES)} B; load average at start ${load.join(" ")}`,
    );
    console.log(format(header));
    for (const line of lines) console.log(format(line));
    console.log("medians over rounds (p99: over all c=1 samples); CPU: utime+stime of all Postgres processes per row written");
  } finally {
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
