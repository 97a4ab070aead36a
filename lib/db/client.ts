import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client.ts";

export type Db = InstanceType<typeof PrismaClient>;
/** The client handed to code running inside `db.$transaction(async (tx) => …)`. */
export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];
export type DbOrTx = Db | Tx;

export function createDb(databaseUrl: string): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl }) });
}

const globalForDb = globalThis as unknown as { tollgateDb?: Db };

/** One client per process (Next.js dev reloads modules, so the instance lives on globalThis). */
export function getDb(): Db {
  if (!globalForDb.tollgateDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: point it at Postgres (npm start sets it for the embedded one).");
    globalForDb.tollgateDb = createDb(url);
  }
  return globalForDb.tollgateDb;
}
