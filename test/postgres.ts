import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "../lib/db/client.ts";
import { databaseUrl } from "../lib/db/embedded.ts";
import { migrate } from "../lib/db/migrate.ts";

// Each test file gets its own database, cloned from a migrated template on the one shared
// Postgres server that the test runner (or vitest's global setup) started.

export const TEMPLATE_DATABASE = "tollgate_template";

export function adminUrl(): string {
  const url = process.env.TOLLGATE_TEST_PG_ADMIN_URL;
  if (!url)
    throw new Error("TOLLGATE_TEST_PG_ADMIN_URL is not set: run tests through `npm test` or vitest (its global setup starts Postgres).");
  return url;
}

export async function prepareTemplate(admin: string): Promise<void> {
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
    await client.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await client.end();
  }
  await migrate({ databaseUrl: databaseUrl(admin, TEMPLATE_DATABASE) });
}

export interface TestDatabase {
  url: string;
  db: Db;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `tollgate_test_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await client.end();
  }
  const url = databaseUrl(admin, name);
  const db = createDb(url);
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
    },
  };
}
