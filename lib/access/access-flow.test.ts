import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import type { Actor } from "../authz/permissions.ts";
import { DEMO_ROLE_MAPPINGS, parseRoleMappings } from "../config.ts";
import { seed } from "../db/seed.ts";
import { revokeGrant } from "../grants/revoke-grant.ts";
import { mintGatewayToken } from "../tokens/mint-gateway-token.ts";
import { hashToken } from "../tokens/secret-token.ts";
import { cancelAccessRequest } from "./cancel-access-request.ts";
import { createAccessRequest } from "./create-access-request.ts";
import { decideAccessRequest } from "./decide-access-request.ts";
import { expireStaleRequests } from "./expire-stale-requests.ts";
import { getAccessRequest, listAccessRequests } from "./list-access-requests.ts";

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;

beforeAll(async () => {
  t = await createTestDatabase();
  const { users } = await seed(t.db, {
    roleMappings: parseRoleMappings(DEMO_ROLE_MAPPINGS),
    demoUsers: [
      { subject: "alice", email: "alice@example.com", name: "Alice", groups: ["engineering"] },
      { subject: "bob", email: "bob@example.com", name: "Bob", groups: ["engineering", "sre-leads"] },
      { subject: "carol", email: "carol@example.com", name: "Carol", groups: ["platform-admins"] },
    ],
  });
  const actors = users.map((u): Actor => ({ id: u.id, email: u.email, roles: u.roles }));
  [alice, bob, carol] = [actors[0]!, actors[1]!, actors[2]!];
});
afterAll(async () => t.drop());

describe("request → approve → grant → token → revoke", () => {
  it("maps IdP groups to roles", () => {
    expect(alice.roles).toEqual(["REQUESTER"]);
    expect(bob.roles).toEqual(["APPROVER", "REQUESTER"]);
    expect(carol.roles).toContain("ADMIN");
  });

  it("caps the duration at the connection's maximum and names the field", async () => {
    await expect(
      createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 61, reason: "debugging" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "minutes",
    });
    await expect(
      createAccessRequest(t.db, { actor: alice, connectionSlug: "nope", minutes: 5, reason: "debugging" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("walks the whole lifecycle with an audit event per change", async () => {
    const request = await createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 15, reason: "incident 42" });
    expect(request.status).toBe("PENDING");

    await expect(decideAccessRequest(t.db, { actor: alice, requestId: request.id, decision: "APPROVE" })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    const pending = await listAccessRequests(t.db, { actor: bob, scope: "pending" });
    expect(pending.map((r) => r.id)).toContain(request.id);
    await expect(listAccessRequests(t.db, { actor: alice, scope: "pending" })).rejects.toMatchObject({ code: "FORBIDDEN" });

    const approved = await decideAccessRequest(t.db, { actor: bob, requestId: request.id, decision: "APPROVE", comment: "ok" });
    expect(approved.status).toBe("APPROVED");
    expect(approved.grant?.status).toBe("ACTIVE");
    const minutes = (Date.parse(approved.grant!.expiresAt) - Date.parse(approved.grant!.startsAt)) / 60_000;
    expect(minutes).toBe(15);
    await expect(decideAccessRequest(t.db, { actor: carol, requestId: request.id, decision: "DENY" })).rejects.toMatchObject({
      code: "CONFLICT",
    });

    await expect(mintGatewayToken(t.db, { actor: bob, grantId: approved.grant!.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const minted = await mintGatewayToken(t.db, { actor: alice, grantId: approved.grant!.id });
    expect(minted.token).toMatch(/^tgg_/);
    const stored = await t.db.gatewayToken.findFirstOrThrow({ where: { grantId: approved.grant!.id } });
    expect(stored.hash).toBe(hashToken(minted.token));
    expect(JSON.stringify(stored)).not.toContain(minted.token);

    await expect(revokeGrant(t.db, { actor: carol, grantId: approved.grant!.id })).resolves.toMatchObject({ status: "REVOKED" });
    await expect(mintGatewayToken(t.db, { actor: alice, grantId: approved.grant!.id })).rejects.toMatchObject({ code: "GONE" });

    const audit = await t.db.auditEvent.findMany({ orderBy: { id: "asc" } });
    const actions = audit.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "access_request.created",
        "grant.created",
        "access_request.approved",
        "gateway_token.created",
        "grant.revoked",
      ]),
    );
    // The chain links every event to its predecessor, and no event carries a token.
    await expect(verifyAuditChain(t.db)).resolves.toEqual({ ok: true, events: audit.length });
    expect(JSON.stringify(audit, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))).not.toContain(minted.token);
    // Tampering with any event breaks the chain at that event.
    await t.db.auditEvent.update({ where: { id: audit[2]!.id }, data: { data: { tampered: true } } });
    await expect(verifyAuditChain(t.db)).resolves.toMatchObject({ ok: false, brokenAt: String(audit[2]!.id) });
  });

  it("lets only one of two concurrent approvers decide", async () => {
    const request = await createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 5, reason: "race" });
    const results = await Promise.allSettled([
      decideAccessRequest(t.db, { actor: bob, requestId: request.id, decision: "APPROVE" }),
      decideAccessRequest(t.db, { actor: carol, requestId: request.id, decision: "DENY" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(await t.db.grant.count({ where: { requestId: request.id } })).toBeLessThanOrEqual(1);
  });

  it("lets only the requester cancel a pending request, once", async () => {
    const request = await createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 5, reason: "changed my mind" });
    await expect(cancelAccessRequest(t.db, { actor: bob, requestId: request.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(cancelAccessRequest(t.db, { actor: alice, requestId: request.id })).resolves.toMatchObject({ status: "CANCELLED" });
    await expect(cancelAccessRequest(t.db, { actor: alice, requestId: request.id })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(decideAccessRequest(t.db, { actor: bob, requestId: request.id, decision: "APPROVE" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await t.db.auditEvent.count({ where: { action: "access_request.cancelled", targetId: request.id } })).toBe(1);
  });

  it("answers someone else's request exactly like a missing one (404), so its existence does not leak", async () => {
    const request = await createAccessRequest(t.db, { actor: bob, connectionSlug: "everything", minutes: 5, reason: "bob's own" });
    const theirs = await getAccessRequest(t.db, { actor: alice, requestId: request.id }).catch((error: unknown) => error);
    const missing = await getAccessRequest(t.db, { actor: alice, requestId: "missing" }).catch((error: unknown) => error);
    expect(theirs).toMatchObject({ code: "NOT_FOUND", message: `No access request ${request.id}.` });
    expect(missing).toMatchObject({ code: "NOT_FOUND", message: "No access request missing." });
    await expect(cancelAccessRequest(t.db, { actor: alice, requestId: request.id })).rejects.toMatchObject({
      code: "NOT_FOUND",
      message: `No access request ${request.id}.`,
    });
    await expect(getAccessRequest(t.db, { actor: carol, requestId: request.id })).resolves.toMatchObject({ id: request.id });
    // Nothing changed: the request is still pending.
    expect((await getAccessRequest(t.db, { actor: bob, requestId: request.id })).status).toBe("PENDING");
  });

  it("expires requests nobody decided in time, once, with an audit event", async () => {
    const old = await createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 5, reason: "nobody looked" });
    const fresh = await createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 5, reason: "just asked" });
    await t.db.accessRequest.update({ where: { id: old.id }, data: { createdAt: new Date(Date.now() - 25 * 60 * 60_000) } });

    const [first, second] = await Promise.all([
      expireStaleRequests(t.db, { ttlMinutes: 24 * 60 }),
      expireStaleRequests(t.db, { ttlMinutes: 24 * 60 }),
    ]);
    expect([...first, ...second]).toEqual([old.id]);
    expect((await getAccessRequest(t.db, { actor: alice, requestId: old.id })).status).toBe("EXPIRED");
    expect((await getAccessRequest(t.db, { actor: alice, requestId: fresh.id })).status).toBe("PENDING");
    await expect(decideAccessRequest(t.db, { actor: bob, requestId: old.id, decision: "APPROVE" })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    expect(await t.db.auditEvent.count({ where: { action: "access_request.expired", targetId: old.id } })).toBe(1);
  });
});
