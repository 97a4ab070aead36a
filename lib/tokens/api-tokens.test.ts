import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import type { Actor } from "../authz/permissions.ts";
import { authenticateApiToken } from "./authenticate-api-token.ts";
import { createApiToken } from "./create-api-token.ts";
import { listApiTokens } from "./list-api-tokens.ts";
import { revokeApiToken } from "./revoke-api-token.ts";
import { hashToken } from "./secret-token.ts";

let t: TestDatabase;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob } = await seedDemo(t.db));
});
afterAll(async () => t.drop());

describe("personal API tokens: create → use → list → revoke", () => {
  it("walks the lifecycle; only the owner can revoke; every change is audited", async () => {
    const created = await createApiToken(t.db, { actor: alice, name: "  ci-script  " });
    expect(created).toMatchObject({ name: "ci-script", expiresAt: null });
    expect(created.token).toMatch(/^tg_/);
    expect(created.token.startsWith(created.prefix)).toBe(true);

    // The stored row holds the hash, never the plaintext.
    const stored = await t.db.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(stored.hash).toBe(hashToken(created.token));
    expect(JSON.stringify(stored)).not.toContain(created.token);

    await expect(authenticateApiToken(t.db, created.token)).resolves.toEqual({ id: alice.id, email: alice.email, roles: alice.roles });

    // The owner sees it listed, without hash or token; nobody else does.
    const listed = await listApiTokens(t.db, { actor: alice });
    expect(listed).toHaveLength(1);
    // lastUsedAt is stamped in the background by authenticate, so only its presence is checked.
    expect(Object.keys(listed[0]!).sort()).toEqual(["createdAt", "expiresAt", "id", "lastUsedAt", "name", "prefix", "revokedAt"]);
    expect(listed[0]).toMatchObject({
      id: created.id,
      name: "ci-script",
      prefix: created.prefix,
      createdAt: stored.createdAt.toISOString(),
      expiresAt: null,
      revokedAt: null,
    });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(JSON.stringify(listed)).not.toContain(stored.hash);
    await expect(listApiTokens(t.db, { actor: bob })).resolves.toEqual([]);

    // Someone else's token simply matches nothing: not found, and it keeps working.
    await expect(revokeApiToken(t.db, { actor: bob, tokenId: created.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(revokeApiToken(t.db, { actor: alice, tokenId: "no-such-token" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(authenticateApiToken(t.db, created.token)).resolves.toMatchObject({ id: alice.id });

    const revoked = await revokeApiToken(t.db, { actor: alice, tokenId: created.id });
    expect(revoked.id).toBe(created.id);
    expect(revoked.revokedAt).not.toBeNull();
    await expect(authenticateApiToken(t.db, created.token)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/revoked/),
    });
    await expect(revokeApiToken(t.db, { actor: alice, tokenId: created.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(revokeApiToken(t.db, { actor: bob, tokenId: created.id })).rejects.toMatchObject({ code: "NOT_FOUND" });

    const audit = await t.db.auditEvent.findMany({ where: { targetType: "ApiToken", targetId: created.id }, orderBy: { id: "asc" } });
    expect(audit.map((e) => [e.action, e.actorId])).toEqual([
      ["api_token.created", alice.id],
      ["api_token.revoked", alice.id],
    ]);
    const all = await t.db.auditEvent.findMany();
    expect(JSON.stringify(all, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(created.token);
    await expect(verifyAuditChain(t.db)).resolves.toMatchObject({ ok: true });
  });

  it("sets expiresAt from expiresInDays and refuses an expired token", async () => {
    const before = Date.now();
    const created = await createApiToken(t.db, { actor: alice, name: "short-lived", expiresInDays: 7 });
    const expiresAt = Date.parse(created.expiresAt!);
    const week = 7 * 24 * 60 * 60 * 1000;
    expect(expiresAt).toBeGreaterThanOrEqual(before + week);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + week);
    await expect(authenticateApiToken(t.db, created.token)).resolves.toMatchObject({ id: alice.id });

    await t.db.apiToken.update({ where: { id: created.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    await expect(authenticateApiToken(t.db, created.token)).rejects.toMatchObject({
      code: "UNAUTHENTICATED",
      message: expect.stringMatching(/expired/),
    });

    // Newest first.
    const listed = await listApiTokens(t.db, { actor: alice });
    expect(listed.map((token) => token.name)).toEqual(["short-lived", "ci-script"]);
  });

  it("validates the name and the expiry, naming the field", async () => {
    await expect(createApiToken(t.db, { actor: alice, name: "   " })).rejects.toMatchObject({ code: "BAD_REQUEST", field: "name" });
    await expect(createApiToken(t.db, { actor: alice, name: "x".repeat(81) })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "name",
    });
    for (const expiresInDays of [0, 366, 1.5]) {
      await expect(createApiToken(t.db, { actor: alice, name: "bad", expiresInDays })).rejects.toMatchObject({
        code: "BAD_REQUEST",
        field: "expiresInDays",
      });
    }
    expect(await t.db.apiToken.count({ where: { name: "bad" } })).toBe(0);
  });

  it("refuses tokens that are not ours", async () => {
    await expect(authenticateApiToken(t.db, "tg_forged")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    await expect(authenticateApiToken(t.db, "tgg_gateway-token")).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
  });
});
