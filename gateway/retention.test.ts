import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../test/postgres.ts";
import { createLogger } from "./log.ts";
import { startRetention } from "./retention.ts";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => t.drop());

describe("scheduled retention", () => {
  it("purges once shortly after start, then on its interval, and stops cleanly", async () => {
    const users = await seedDemo(t.db);
    const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const old = new Date(Date.now() - 10 * 86_400_000);
    const session = await t.db.session.create({
      data: {
        grantId,
        userId: users.alice.id,
        connectionId: grant.connectionId,
        transport: "test",
        startedAt: old,
        endedAt: old,
        lastSeq: 0,
        lastHash: "0".repeat(64),
      },
    });
    const lines: string[] = [];
    const log = createLogger({ sink: (line) => lines.push(line) });
    const retention = startRetention({
      databaseUrl: t.url,
      retentionDays: 7,
      vaultKey: randomBytes(32),
      log,
      firstRunMs: 0,
      intervalMs: 60_000,
    });
    try {
      await expect
        .poll(async () => (await t.db.session.findUniqueOrThrow({ where: { id: session.id } })).purgedAt, { timeout: 10_000 })
        .not.toBeNull();
      // The first run may still be finishing after its batch committed: runNow joins a run under way.
      await retention.runNow();
      expect(await retention.runNow()).toMatchObject({ ran: true, sessions: 0 });
    } finally {
      await retention.stop();
    }
    expect(await retention.runNow()).toBeUndefined();
    expect(lines.join("\n")).toContain("recordings purged");
  });
});
