import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { revokeGrant } from "../grants/revoke-grant.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { auditCheckpointKey, writeAuditCheckpoint } from "./checkpoint.ts";
import { verifyAuditChain } from "./verify-audit-chain.ts";
import { verifyAuditChainFor } from "./verify-audit-chain-for.ts";
import { AUDIT_RECORD_VERSION } from "./write-audit-event.ts";

// Tampering is done with plain SQL, as someone with database access would: each edit must show.

const vaultKey = randomBytes(32);
const key = auditCheckpointKey(vaultKey);
const opened: TestDatabase[] = [];

async function auditedDatabase(): Promise<{ t: TestDatabase; users: { alice: Actor; bob: Actor; carol: Actor } }> {
  const t = await createTestDatabase();
  opened.push(t);
  const users = await seedDemo(t.db);
  const { grantId } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
  await revokeGrant(t.db, { actor: users.bob, grantId, reason: "done" });
  return { t, users };
}

async function moreEvents(t: TestDatabase, users: { alice: Actor; bob: Actor }): Promise<void> {
  await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
}

const newestIds = async (t: TestDatabase, n: number) =>
  (await t.db.auditEvent.findMany({ orderBy: { id: "desc" }, take: n, select: { id: true } })).map((e) => e.id);

afterEach(async () => {
  await Promise.all(opened.splice(0).map((t) => t.drop()));
});

describe("the audit chain covers every column", () => {
  it("writes rows in record format 2 and detects an edited actorEmail", async () => {
    const { t } = await auditedDatabase();
    const rows = await t.db.auditEvent.findMany({ orderBy: { id: "asc" } });
    expect(rows.every((row) => row.v === AUDIT_RECORD_VERSION)).toBe(true);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, events: rows.length });
    const target = rows.find((row) => row.actorEmail !== null)!;
    await t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET "actorEmail" = 'mallory@example.com' WHERE id = $1`, target.id);
    expect(await verifyAuditChain(t.db)).toMatchObject({
      ok: false,
      brokenAt: String(target.id),
      reason: "content does not match its hash",
    });
  });

  it("keeps rows written in format 1 (before actorEmail was covered) verifiable, and a format-2 row cannot be downgraded", async () => {
    const { t, users } = await auditedDatabase();
    // Rewrite the chain as an older Tollgate wrote it: v 1, hash over at, actorId, action, targetType, targetId, data.
    const rows = await t.db.auditEvent.findMany({ orderBy: { id: "asc" } });
    let prev = GENESIS_HASH;
    for (const row of rows) {
      const record = {
        at: row.at.toISOString(),
        actorId: row.actorId,
        action: row.action,
        targetType: row.targetType,
        targetId: row.targetId,
        data: row.data,
      };
      const hash = chainHash(prev, record);
      await t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET v = 1, "prevHash" = $2, hash = $3 WHERE id = $1`, row.id, prev, hash);
      prev = hash;
    }
    await moreEvents(t, users); // appended in format 2 after the format-1 rows
    const total = await t.db.auditEvent.count();
    expect(await verifyAuditChain(t.db)).toEqual({ ok: true, events: total });
    const [newest] = await newestIds(t, 1);
    await t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET v = 1 WHERE id = $1`, newest);
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: false, brokenAt: String(newest) });
  });
});

describe("signed checkpoints of the chain's head", () => {
  it("detects the newest audit rows deleted after a checkpoint", async () => {
    const { t, users } = await auditedDatabase();
    await moreEvents(t, users);
    expect(await writeAuditCheckpoint(t.db, { key })).toBe(true);
    const [checkpointed] = await newestIds(t, 1);
    await t.db.$executeRawUnsafe(`DELETE FROM "AuditEvent" WHERE id IN (SELECT id FROM "AuditEvent" ORDER BY id DESC LIMIT 3)`);
    // The chain alone still links: only the checkpoint shows the truncation.
    expect((await verifyAuditChain(t.db)).ok).toBe(true);
    expect(await verifyAuditChain(t.db, { checkpointKey: key })).toMatchObject({
      ok: false,
      brokenAt: String(checkpointed),
      reason: expect.stringContaining("the newest audit events were deleted"),
    });
  });

  it("checks the newest checkpoint and writes a new one at each verification", async () => {
    const { t, users } = await auditedDatabase();
    expect(await verifyAuditChainFor(t.db, { actor: users.carol, vaultKey })).toMatchObject({ ok: true, checkpoint: null });
    const [head] = await newestIds(t, 1);
    const again = await verifyAuditChainFor(t.db, { actor: users.carol, vaultKey });
    expect(again).toMatchObject({ ok: true, checkpoint: { eventId: String(head) } });
    // The head has not moved: no second checkpoint of it.
    expect(await t.db.auditCheckpoint.count()).toBe(1);
    await moreEvents(t, users);
    expect(await writeAuditCheckpoint(t.db, { key, minIntervalMs: 60_000 })).toBe(false);
    expect(await writeAuditCheckpoint(t.db, { key })).toBe(true);
  });

  it("detects a forged checkpoint, a checkpoint signed with another key, and a checkpointed row rewritten", async () => {
    const { t } = await auditedDatabase();
    await writeAuditCheckpoint(t.db, { key });
    expect((await verifyAuditChain(t.db, { checkpointKey: auditCheckpointKey(randomBytes(32)) })).ok).toBe(false);
    await t.db.$executeRawUnsafe(`UPDATE "AuditCheckpoint" SET signature = repeat('0', 64)`);
    expect(await verifyAuditChain(t.db, { checkpointKey: key })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("invalid signature"),
    });
    // A fresh, valid checkpoint; then the checkpointed row itself is rewritten.
    await t.db.$executeRawUnsafe(`DELETE FROM "AuditCheckpoint"`);
    await writeAuditCheckpoint(t.db, { key });
    const [head] = await newestIds(t, 1);
    await t.db.$executeRawUnsafe(`UPDATE "AuditEvent" SET hash = repeat('f', 64) WHERE id = $1`, head);
    expect(await verifyAuditChain(t.db, { checkpointKey: key })).toMatchObject({ ok: false, brokenAt: String(head) });
  });
});
