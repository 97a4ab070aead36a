import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { prepareTemplate } from "./postgres.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** vitest global setup: reuse the runner's Postgres when given, else start a throwaway one. */
export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.TOLLGATE_TEST_PG_ADMIN_URL) {
    if (!process.env.TOLLGATE_TEST_TEMPLATE_READY) await prepareTemplate(process.env.TOLLGATE_TEST_PG_ADMIN_URL);
    return async () => undefined;
  }
  const dir = await mkdtemp(path.join(tmpdir(), "tollgate-pg-"));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), port: await freePort(), persistent: false });
  process.env.TOLLGATE_TEST_PG_ADMIN_URL = pg.adminUrl;
  await prepareTemplate(pg.adminUrl);
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
