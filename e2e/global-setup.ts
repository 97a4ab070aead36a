import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { startStack } from "../scripts/stack.ts";
import { freePort } from "../test/global-setup.ts";
import { createTestDatabase, prepareTemplate } from "../test/postgres.ts";

// Starts the real stack once for all specs: a fresh database on the shared test Postgres (or a
// throwaway embedded one), the dev IdP, the built portal (`next build` ran before) and the gateway.

export default async function globalSetup(): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];
  const teardown = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    await startAll(cleanups);
  } catch (error) {
    // A failed build or start must not leave Postgres and the stack running behind the failed run.
    await teardown();
    throw error;
  }
  return teardown;
}

async function startAll(cleanups: Array<() => Promise<void>>): Promise<void> {
  if (!process.env.TOLLGATE_TEST_PG_ADMIN_URL) {
    const dir = await mkdtemp(path.join(tmpdir(), "tollgate-e2e-pg-"));
    const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), port: await freePort(), persistent: false });
    process.env.TOLLGATE_TEST_PG_ADMIN_URL = pg.adminUrl;
    await prepareTemplate(pg.adminUrl);
    cleanups.push(async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    });
  }
  const database = await createTestDatabase();
  await database.db.$disconnect();
  cleanups.push(() => database.drop());
  const dataDir = await mkdtemp(path.join(tmpdir(), "tollgate-e2e-"));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

  delete process.env.OIDC_ISSUER;
  const stack = await startStack({
    databaseUrl: database.url,
    dataDir,
    portalPort: await freePort(),
    gatewayPort: await freePort(),
    idpPort: await freePort(),
    build: process.env.TOLLGATE_SKIP_BUILD !== "1",
    log: () => undefined,
    inheritOutput: process.env.TOLLGATE_E2E_VERBOSE === "1",
  });
  cleanups.push(() => stack.stop());
  process.env.TOLLGATE_PORTAL_URL = stack.portalUrl;
  process.env.TOLLGATE_GATEWAY_URL = stack.gatewayUrl;
  process.env.TOLLGATE_DATABASE_URL = stack.databaseUrl;
  process.env.TOLLGATE_DEMO_TOKENS = JSON.stringify(stack.demoTokens);
  process.env.TOLLGATE_SERVICE_ACCOUNT = JSON.stringify(stack.serviceAccount ?? null);
}
