import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMintOAuth, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { startSession } from "../recording/sessions.ts";
import { mintGatewayToken } from "../tokens/mint-gateway-token.ts";
import { purgeExpiredAccessTokens, purgeExpiredOAuth } from "./purge-expired.ts";
import { registerClient } from "./register-client.ts";

// Expired OAuth access tokens (one per refresh) are deleted a day after they expired, in batches,
// except those a session names (audit) and each live client's newest (client retention).

const RESOURCE = "http://localhost:8090/mcp/everything";
const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;

let t: TestDatabase;
let alice: Actor;
let bob: Actor;

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob } = await seedDemo(t.db));
});
afterAll(async () => t?.drop());

async function client(): Promise<string> {
  return (await registerClient(t.db, { client_name: "Purge Test", redirect_uris: ["http://127.0.0.1:1/cb"] })).client_id;
}

/** A grant with `count` access tokens issued one after another (as refreshes do), oldest first. */
async function tokens(clientId: string, count: number): Promise<{ grantId: string; ids: string[] }> {
  const first = await grantAndMintOAuth(t.db, {
    requester: alice,
    approver: bob,
    connection: "everything",
    clientId,
    resource: RESOURCE,
    expiresAt: new Date(Date.now() + HOUR),
  });
  const ids = [first.tokenId];
  for (let i = 1; i < count; i++) {
    const minted = await mintGatewayToken(t.db, {
      actor: alice,
      grantId: first.grantId,
      oauth: { clientId, resource: RESOURCE, expiresAt: new Date(Date.now() + HOUR) },
    });
    ids.push((await t.db.gatewayToken.findFirstOrThrow({ where: { prefix: minted.prefix }, select: { id: true } })).id);
  }
  // createdAt in issue order, a second apart (the purge keeps the newest by createdAt).
  for (const [index, id] of ids.entries()) {
    await t.db.gatewayToken.update({ where: { id }, data: { createdAt: new Date(Date.now() - (ids.length - index) * 1000) } });
  }
  return { grantId: first.grantId, ids };
}

const left = async (ids: string[]) =>
  (await t.db.gatewayToken.findMany({ where: { id: { in: ids } }, select: { id: true } })).map(({ id }) => id).sort();

describe("purging expired OAuth access tokens", () => {
  it("keeps them for a day after expiry, then deletes all but the client's newest and those a session names", async () => {
    const clientId = await client();
    const { grantId, ids } = await tokens(clientId, 5);
    const grant = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });
    const sessionId = await startSession(t.db, {
      grantId,
      gatewayTokenId: ids[1]!,
      userId: alice.id,
      connectionId: grant.connectionId,
      transport: "websocket",
    });
    await t.db.session.update({ where: { id: sessionId }, data: { endedAt: new Date(), endReason: "access token expired" } });
    const portal = await mintGatewayToken(t.db, { actor: alice, grantId });
    const portalId = (await t.db.gatewayToken.findFirstOrThrow({ where: { prefix: portal.prefix } })).id;
    const audits = await t.db.auditEvent.count({ where: { action: "gateway_token.created" } });

    // Expired, but not yet a day ago: nothing goes.
    expect(await purgeExpiredAccessTokens(t.db, new Date(Date.now() + HOUR + DAY - 60_000))).toBe(0);
    expect(await left(ids)).toEqual([...ids].sort());

    expect(await purgeExpiredAccessTokens(t.db, new Date(Date.now() + 2 * DAY))).toBe(3);
    // The one that opened a session (its row still names it) and the newest stay; so does the portal's token.
    expect(await left(ids)).toEqual([ids[1]!, ids[4]!].sort());
    expect((await t.db.session.findUniqueOrThrow({ where: { id: sessionId } })).gatewayTokenId).toBe(ids[1]);
    expect(await t.db.gatewayToken.count({ where: { id: portalId } })).toBe(1);
    // The audit trail of their issue is untouched.
    expect(await t.db.auditEvent.count({ where: { action: "gateway_token.created" } })).toBe(audits);
    // Nothing more to do.
    expect(await purgeExpiredAccessTokens(t.db, new Date(Date.now() + 2 * DAY))).toBe(0);

    // Once the client itself is gone, its newest token has nothing to keep it.
    await t.db.oAuthClient.delete({ where: { id: clientId } });
    expect(await purgeExpiredAccessTokens(t.db, new Date(Date.now() + 2 * DAY))).toBe(1);
    expect(await left(ids)).toEqual([ids[1]!]);
  });

  it("works in bounded batches, and runs as part of the OAuth purge", async () => {
    const clientId = await client();
    const { ids } = await tokens(clientId, 6);
    const later = new Date(Date.now() + 2 * DAY);
    expect(await purgeExpiredAccessTokens(t.db, later, 2)).toBe(2);
    expect(await purgeExpiredAccessTokens(t.db, later, 2)).toBe(2);
    expect(await left(ids)).toHaveLength(2);
    expect(await purgeExpiredOAuth(t.db, later)).toBeGreaterThanOrEqual(1);
    expect(await left(ids)).toEqual([ids[5]!]);
  });
});
