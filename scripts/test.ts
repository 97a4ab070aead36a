import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { freePort } from "../test/global-setup.ts";
import { prepareTemplate } from "../test/postgres.ts";
import { buildPortalIfStale, ROOT } from "./stack.ts";

// `npm test`: one Postgres for every suite; type check, unit + integration + MCP end-to-end
// (vitest) and the portal build run side by side; then Playwright drives the built portal.

function run(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: "inherit", env });
    child.on("exit", (code) => {
      console.log(`\n[${name}] ${code === 0 ? "passed" : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      resolve(code === 0);
    });
  });
}

const bin = (pkg: string, file: string) => path.join(ROOT, "node_modules", pkg, file);
const dir = await mkdtemp(path.join(tmpdir(), "tollgate-test-pg-"));
const postgres = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), port: await freePort(), persistent: false });
let ok = false;
try {
  await prepareTemplate(postgres.adminUrl);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOLLGATE_TEST_PG_ADMIN_URL: postgres.adminUrl,
    TOLLGATE_TEST_TEMPLATE_READY: "1",
    NEXT_TELEMETRY_DISABLED: "1",
  };
  delete env.DATABASE_URL;
  delete env.OIDC_ISSUER;

  const extra = process.argv.slice(2);
  const [lint, typecheck, vitest, build] = await Promise.all([
    run("lint", process.execPath, [bin("@biomejs/biome", "bin/biome"), "ci", "."], env),
    run("typecheck", process.execPath, [bin("typescript", "bin/tsc"), "--noEmit", "-p", "tsconfig.json"], env),
    run("vitest", process.execPath, [bin("vitest", "vitest.mjs"), "run", ...extra], env),
    buildPortalIfStale((line) => console.log(line)).then(
      () => true,
      (error: Error) => {
        console.error(`[build] FAILED: ${error.message}`);
        return false;
      },
    ),
  ]);
  const playwright = build
    ? await run("playwright", process.execPath, [bin("@playwright/test", "cli.js"), "test"], { ...env, TOLLGATE_SKIP_BUILD: "1" })
    : false;
  ok = lint && typecheck && vitest && build && playwright;
  console.log(
    `\nnpm test: ${ok ? "all suites passed" : "FAILED"} (lint ${lint ? "ok" : "failed"}, typecheck ${typecheck ? "ok" : "failed"}, vitest ${vitest ? "ok" : "failed"}, build ${build ? "ok" : "failed"}, playwright ${playwright ? "ok" : build ? "failed" : "skipped"})`,
  );
} finally {
  await postgres.stop().catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);
