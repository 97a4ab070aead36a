import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { revokeGrant } from "../grants/revoke-grant.ts";
import { type AuditEventView, listAuditEvents } from "./list-audit-events.ts";
import { verifyAuditChainFor } from "./verify-audit-chain-for.ts";

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;
let token: string;
let grantId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob, carol } = await seedDemo(t.db));
  // Two grants, one revoked: access_request.*, grant.*, gateway_token.created events.
  ({ token, grantId } = await grantAndMint(t.db, { requester: alice, approver: bob, connection: "everything" }));
  await revokeGrant(t.db, { actor: bob, grantId, reason: "done" });
  await grantAndMint(t.db, { requester: alice, approver: bob, connection: "everything" });
});
afterAll(async () => t.drop());

const ids = (events: AuditEventView[]) => events.map((event) => BigInt(event.id));

describe("the audit log", () => {
  it("is closed to requesters and approvers", async () => {
    await expect(listAuditEvents(t.db, { actor: alice })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("audit log"),
    });
    await expect(listAuditEvents(t.db, { actor: bob })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(verifyAuditChainFor(t.db, { actor: alice })).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("audit chain"),
    });
  });

  it("lists every event newest first for an auditor", async () => {
    expect(carol.roles).toContain("AUDITOR");
    const { events, nextCursor } = await listAuditEvents(t.db, { actor: carol });
    expect(nextCursor).toBeNull();
    expect(events.length).toBe(await t.db.auditEvent.count());
    const order = ids(events);
    expect(order).toEqual([...order].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(events.at(-1)).toMatchObject({ action: "role_mappings.configured", actorEmail: null, targetType: "RoleMapping" });
    expect(events[0]).toMatchObject({ action: "gateway_token.created", actorEmail: "alice@example.com" });
    for (const event of events) {
      expect(event.id).toMatch(/^\d+$/);
      expect(event.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Number.isNaN(Date.parse(event.at))).toBe(false);
    }
    // Each event links to the one before it (the next one in this newest-first list).
    for (let i = 0; i < events.length - 1; i += 1) expect(events[i]!.prevHash).toBe(events[i + 1]!.hash);
  });

  it("filters by action prefix, exact action, target and actor", async () => {
    const grants = await listAuditEvents(t.db, { actor: carol, action: "grant." });
    expect(grants.events.map((e) => e.action).sort()).toEqual(["grant.created", "grant.created", "grant.revoked"]);
    expect(grants.events[0]!.action).toBe("grant.created");

    const revoked = await listAuditEvents(t.db, { actor: carol, action: "grant.revoked" });
    expect(revoked.events).toHaveLength(1);
    expect(revoked.events[0]).toMatchObject({
      targetType: "Grant",
      targetId: grantId,
      actorEmail: "bob@example.com",
      data: { reason: "done" },
    });

    const forGrant = await listAuditEvents(t.db, { actor: carol, targetId: grantId });
    expect(forGrant.events.map((e) => e.action)).toEqual(["grant.revoked", "grant.created"]);
    expect(forGrant.events.every((e) => e.targetType === "Grant")).toBe(true);

    const combined = await listAuditEvents(t.db, { actor: carol, targetType: "Grant", targetId: grantId, action: "grant.created" });
    expect(combined.events).toHaveLength(1);

    const byAlice = await listAuditEvents(t.db, { actor: carol, actorEmail: "alice@example.com" });
    expect(new Set(byAlice.events.map((e) => e.action))).toEqual(new Set(["access_request.created", "gateway_token.created"]));

    // `_` is a LIKE wildcard: a prefix must match literally.
    expect((await listAuditEvents(t.db, { actor: carol, action: "access_request." })).events).toHaveLength(4);
    expect((await listAuditEvents(t.db, { actor: carol, action: "access_" })).events).toHaveLength(4);
    expect((await listAuditEvents(t.db, { actor: carol, action: "access%" })).events).toHaveLength(0);
    expect((await listAuditEvents(t.db, { actor: carol, action: "access_request_" })).events).toHaveLength(0);
    expect((await listAuditEvents(t.db, { actor: carol, action: "access\\_request." })).events).toHaveLength(0);
    expect((await listAuditEvents(t.db, { actor: carol, action: "nope." })).events).toHaveLength(0);
  });

  it("pages with the cursor, without overlap or gaps", async () => {
    const all = (await listAuditEvents(t.db, { actor: carol })).events;
    expect(all.length).toBeGreaterThan(6);

    const first = await listAuditEvents(t.db, { actor: carol, limit: 3 });
    expect(first.events.map((e) => e.id)).toEqual(all.slice(0, 3).map((e) => e.id));
    expect(first.nextCursor).toBe(first.events[2]!.id);

    const second = await listAuditEvents(t.db, { actor: carol, limit: 3, before: first.nextCursor! });
    expect(second.events.map((e) => e.id)).toEqual(all.slice(3, 6).map((e) => e.id));

    const seen: string[] = [];
    let before: string | undefined;
    for (let page = 0; page < 100; page += 1) {
      const result = await listAuditEvents(t.db, { actor: carol, limit: 4, before });
      seen.push(...result.events.map((e) => e.id));
      if (!result.nextCursor) break;
      before = result.nextCursor;
    }
    expect(seen).toEqual(all.map((e) => e.id));

    // A page that ends exactly at the last event says so.
    const exact = await listAuditEvents(t.db, { actor: carol, limit: all.length });
    expect(exact.nextCursor).toBeNull();

    // Filters and cursor combine.
    const grantPage = await listAuditEvents(t.db, { actor: carol, action: "grant.", limit: 2 });
    expect(grantPage.nextCursor).not.toBeNull();
    const grantRest = await listAuditEvents(t.db, { actor: carol, action: "grant.", limit: 2, before: grantPage.nextCursor! });
    expect(grantRest.events).toHaveLength(1);
    expect(grantRest.nextCursor).toBeNull();
  });

  it("rejects a bad limit or cursor, naming the field", async () => {
    for (const limit of [0, 501, 1.5]) {
      await expect(listAuditEvents(t.db, { actor: carol, limit })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "limit" });
    }
    for (const before of ["abc", "-1", "0", "99999999999999999999"]) {
      await expect(listAuditEvents(t.db, { actor: carol, before })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "before" });
    }
    await expect(listAuditEvents(t.db, { actor: carol, limit: 500 })).resolves.toBeDefined();
  });

  it("verifies the chain for an auditor", async () => {
    await expect(verifyAuditChainFor(t.db, { actor: carol })).resolves.toEqual({ ok: true, events: await t.db.auditEvent.count() });
  });

  it("never records a token", async () => {
    expect(token).toMatch(/^tgg_/);
    const { events } = await listAuditEvents(t.db, { actor: carol, limit: 500 });
    const minted = events.filter((e) => e.action === "gateway_token.created");
    expect(minted).toHaveLength(2);
    expect(minted.some((e) => token.startsWith(String((e.data as { prefix?: unknown }).prefix)))).toBe(true);
    expect(JSON.stringify(events)).not.toContain(token);
    expect(JSON.stringify(events)).not.toContain(token.slice(-16));
  });
});
