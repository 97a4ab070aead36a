import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { listGatewayTokens, revokeGatewayToken } from "../tokens/gateway-tokens.ts";
import { mintGatewayToken } from "../tokens/mint-gateway-token.ts";
import { revokeGrant } from "./revoke-grant.ts";

// Someone else's grant or gateway token is "not found" (404) to a caller who may not see it, with
// the same message as one that does not exist; only callers who may see it are told (403) that
// they may not act on it.

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;
/** Sees everyone's grants (grants:read:all) but may not revoke them. */
let auditor: Actor;
let grantId: string;
let tokenId: string;
const missing = "00000000-0000-4000-8000-000000000000";

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message?: string }> {
  return promise.then(
    () => ({}),
    (error: { code?: string; message?: string }) => ({ code: error.code, message: error.message }),
  );
}
const sameAsMissing = (message: string | undefined, id: string) => message?.replace(id, "<id>");

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob, carol } = await seedDemo(t.db));
  auditor = { id: carol.id, email: carol.email, roles: ["AUDITOR"] };
  // bob holds a grant (approved by carol) and a gateway token for it.
  ({ grantId } = await grantAndMint(t.db, { requester: bob, approver: carol, connection: "everything" }));
  tokenId = (await t.db.gatewayToken.findFirstOrThrow({ where: { grantId } })).id;
});
afterAll(async () => t.drop());

describe("grants and gateway tokens of someone else", () => {
  it("are 404 to a requester, worded like a missing one", async () => {
    const cases: Array<[string, (id: string) => Promise<unknown>]> = [
      ["mint a gateway token", (id) => mintGatewayToken(t.db, { actor: alice, grantId: id })],
      ["list gateway tokens", (id) => listGatewayTokens(t.db, { actor: alice, grantId: id })],
      ["revoke the grant", (id) => revokeGrant(t.db, { actor: alice, grantId: id })],
    ];
    for (const [what, act] of cases) {
      const theirs = await failure(act(grantId));
      const none = await failure(act(missing));
      expect(theirs.code, what).toBe("NOT_FOUND");
      expect(none.code, what).toBe("NOT_FOUND");
      expect(sameAsMissing(theirs.message, grantId), what).toBe(sameAsMissing(none.message, missing));
    }
    const theirs = await failure(revokeGatewayToken(t.db, { actor: alice, tokenId }));
    const none = await failure(revokeGatewayToken(t.db, { actor: alice, tokenId: missing }));
    expect(theirs).toEqual({ code: "NOT_FOUND", message: `No gateway token ${tokenId}.` });
    expect(none).toEqual({ code: "NOT_FOUND", message: `No gateway token ${missing}.` });
  });

  it("are 403 to a caller who may see them but not act on them", async () => {
    expect((await failure(mintGatewayToken(t.db, { actor: carol, grantId }))).code).toBe("FORBIDDEN");
    expect((await failure(revokeGrant(t.db, { actor: auditor, grantId }))).code).toBe("FORBIDDEN");
    expect((await failure(revokeGatewayToken(t.db, { actor: auditor, tokenId }))).code).toBe("FORBIDDEN");
    expect(await listGatewayTokens(t.db, { actor: auditor, grantId })).toHaveLength(1);
  });

  it("changed nothing; the holder and approvers still act on them", async () => {
    expect(await t.db.grant.findUniqueOrThrow({ where: { id: grantId } })).toMatchObject({ revokedAt: null });
    expect(await listGatewayTokens(t.db, { actor: bob, grantId })).toMatchObject([{ id: tokenId, revokedAt: null }]);
    await expect(revokeGatewayToken(t.db, { actor: bob, tokenId })).resolves.toMatchObject({ id: tokenId });
    await expect(revokeGrant(t.db, { actor: carol, grantId })).resolves.toMatchObject({ status: "REVOKED" });
  });
});
