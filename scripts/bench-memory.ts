import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createConnection } from "../lib/connections/create-connection.ts";
import { createDb } from "../lib/db/client.ts";
import { databaseUrl, startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { migrate } from "../lib/db/migrate.ts";
import { grantAndMint, seedDemo } from "../test/fixtures.ts";
import { freePort } from "../test/global-setup.ts";
import { startJsonUpstream } from "../test/json-upstream.ts";
import { stopChild } from "./processes.ts";

// `npx tsx scripts/bench-memory.ts`: what an idle session costs the gateway.
//
// An embedded Postgres, a small JSON Streamable HTTP upstream (in this process), and the gateway in
// a child process of its own (`node --expose-gc`), which reports `process.memoryUsage()` after a
// forced GC when asked over IPC. Opens BENCH_MEMORY_WARMUP sessions (JIT, pools, caches), measures,
// opens BENCH_MEMORY_SESSIONS more (initialize + notifications/initialized, then idle: no request,
// no stream open), measures again, and prints the difference per session and per 1,000 sessions.
// Knobs: BENCH_MEMORY_SESSIONS (1000), BENCH_MEMORY_WARMUP (100), BENCH_MEMORY_ROUNDS (2: the
// measurement is repeated with as many more sessions each round).

const ROOT = path.resolve(import.meta.dirname, "..");

function intEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

type Memory = NodeJS.MemoryUsage;

// ---------------------------------------------------------------------------------------------
// The child: a gateway that answers "measure" with its memory after a full GC.

async function child(): Promise<void> {
  const { startGateway } = await import("../gateway/server.ts");
  const { createLogger } = await import("../gateway/log.ts");
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const sessions = Number(process.env.BENCH_MEMORY_CAP);
  const gateway = await startGateway({
    databaseUrl: process.env.DATABASE_URL!,
    port: 0,
    host: "127.0.0.1",
    vaultKey: Buffer.from(process.env.TOLLGATE_SECRET_KEY!, "base64"),
    maxSessions: sessions,
    maxSessionsPerGrant: sessions,
    maxSessionsPerUser: sessions,
    sessionIdleMs: 30 * 60_000,
    log: createLogger({ sink: () => undefined }),
  });
  process.on("message", (message: { kind: string }) => {
    if (message.kind !== "measure") return;
    // Let pending recordings and timers settle, then collect twice (weak refs, finalizers).
    setTimeout(() => {
      gc();
      gc();
      process.send?.({ kind: "memory", memory: process.memoryUsage(), sessions: gateway.registry.size });
    }, 500);
  });
  process.on("SIGTERM", () => void gateway.close().then(() => process.exit(0)));
  process.send?.({ kind: "ready", url: gateway.url });
}

// ---------------------------------------------------------------------------------------------
// The parent

function ask<T>(child: ChildProcess, kind: string, message?: { kind: string }): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (answer: { kind: string }) => {
      if (answer.kind !== kind) return;
      child.off("message", onMessage);
      child.off("exit", onExit);
      resolve(answer as T);
    };
    const onExit = (code: number | null) => reject(new Error(`the gateway exited (${code})`));
    child.on("message", onMessage);
    child.once("exit", onExit);
    if (message) child.send(message);
  });
}

async function openSession(url: string, token: string, n: number): Promise<string> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
  const init = await fetch(url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: `idle-${n}`, version: "1.0.0" } },
    }),
  });
  await init.text();
  const sessionId = init.headers.get("mcp-session-id");
  if (init.status !== 200 || !sessionId) throw new Error(`initialize failed: HTTP ${init.status}`);
  const note = await fetch(url, {
    method: "POST",
    headers: { ...headers, "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" },
    body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  });
  await note.text();
  return sessionId;
}

async function openSessions(url: string, token: string, count: number, from: number): Promise<void> {
  // A few at a time, as clients arriving would.
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      await openSession(url, token, from + n);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function parent(): Promise<void> {
  const sessions = intEnv("BENCH_MEMORY_SESSIONS", 1000);
  const warmup = intEnv("BENCH_MEMORY_WARMUP", 100);
  const rounds = intEnv("BENCH_MEMORY_ROUNDS", 2);
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tollgate-bench-memory-"));
    cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
    console.error("bench-memory: starting embedded Postgres…");
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port: await freePort(), persistent: false });
    cleanups.unshift(() => postgres.stop());
    const admin = new pg.Client({ connectionString: postgres.adminUrl });
    await admin.connect();
    await admin.query("CREATE DATABASE tollgate_bench_memory");
    await admin.end();
    const url = databaseUrl(postgres.adminUrl, "tollgate_bench_memory");
    await migrate({ databaseUrl: url });
    const db = createDb(url);
    cleanups.unshift(() => db.$disconnect());
    const { alice, bob, carol } = await seedDemo(db);
    const upstream = await startJsonUpstream();
    cleanups.unshift(() => upstream.close());
    const vaultKey = randomBytes(32);
    await createConnection(db, {
      actor: carol,
      vaultKey,
      input: { slug: "idle", name: "Idle sessions (bench)", transport: "streamable-http", url: upstream.url, maxMinutes: 120 },
    });
    const { token } = await grantAndMint(db, { requester: alice, approver: bob, connection: "idle", minutes: 120 });

    console.error("bench-memory: starting the gateway (node --expose-gc)…");
    const gateway = spawn(process.execPath, ["--expose-gc", "--import", "tsx", path.join(ROOT, "scripts/bench-memory.ts")], {
      cwd: ROOT,
      env: {
        ...process.env,
        BENCH_MEMORY_CHILD: "1",
        BENCH_MEMORY_CAP: String(warmup + sessions * rounds + 10),
        DATABASE_URL: url,
        TOLLGATE_SECRET_KEY: vaultKey.toString("base64"),
      },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    cleanups.unshift(() => stopChild(gateway));
    const { url: gatewayUrl } = await ask<{ url: string }>(gateway, "ready");
    const endpoint = `${gatewayUrl}/mcp/idle`;

    await openSessions(endpoint, token, warmup, 0);
    const baseline = await ask<{ memory: Memory; sessions: number }>(gateway, "memory", { kind: "measure" });
    let before = baseline;
    const rows: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      const started = performance.now();
      await openSessions(endpoint, token, sessions, warmup + (round - 1) * sessions);
      const seconds = (performance.now() - started) / 1000;
      const after = await ask<{ memory: Memory; sessions: number }>(gateway, "memory", { kind: "measure" });
      const opened = after.sessions - before.sessions;
      const heap = after.memory.heapUsed - before.memory.heapUsed;
      const rss = after.memory.rss - before.memory.rss;
      const external = after.memory.external - before.memory.external;
      rows.push(
        `| ${before.sessions} → ${after.sessions} | ${mb(heap)} | ${mb(rss)} | ${mb(external)} | ${kb(heap / opened)} | ${kb(rss / opened)} | ${mb((heap / opened) * 1000)} | ${mb((rss / opened) * 1000)} | ${seconds.toFixed(1)} s |`,
      );
      before = after;
    }
    const cpus = os.cpus();
    console.log("");
    console.log(
      `Tollgate idle-session memory — ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? "?"}), node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)}`,
    );
    console.log(
      "Idle sessions against a Streamable HTTP upstream (initialized, no request and no stream open); gateway process memory after a forced GC.",
    );
    console.log("");
    console.log(
      "| open sessions | heap used Δ | RSS Δ | external Δ | heap per session | RSS per session | heap per 1,000 | RSS per 1,000 | opened in |",
    );
    console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (const row of rows) console.log(row);
    console.log(
      `\nafter ${warmup} warm-up sessions: heap used ${mb(baseline.memory.heapUsed)}, RSS ${mb(baseline.memory.rss)}; at the end (${before.sessions} sessions): heap used ${mb(before.memory.heapUsed)}, RSS ${mb(before.memory.rss)}`,
    );
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

if (process.env.BENCH_MEMORY_CHILD) await child();
else await parent();
