import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { createAccessRequest } from "../access/create-access-request.ts";
import { decideAccessRequest } from "../access/decide-access-request.ts";
import { revokeGrant } from "../grants/revoke-grant.ts";
import { type LiveEvent, LiveListener } from "./live-listener.ts";

let t: TestDatabase;
let listener: LiveListener;

beforeAll(async () => {
  t = await createTestDatabase();
  listener = new LiveListener(t.url);
});
afterAll(async () => {
  await listener.stop();
  await t.drop();
});

describe("LiveListener", () => {
  it("tells every subscriber what changed, on commit, without the data", async () => {
    const { alice, bob } = await seedDemo(t.db);
    const first: LiveEvent[] = [];
    const second: LiveEvent[] = [];
    const stopFirst = listener.subscribe((event) => "id" in event && first.push(event));
    listener.subscribe((event) => "id" in event && second.push(event));
    await new Promise((resolve) => setTimeout(resolve, 300)); // LISTEN established

    const request = await createAccessRequest(t.db, { actor: alice, connectionSlug: "everything", minutes: 5, reason: "live" });
    const approved = await decideAccessRequest(t.db, { actor: bob, requestId: request.id, decision: "APPROVE" });
    stopFirst();
    await revokeGrant(t.db, { actor: bob, grantId: approved.grant!.id });
    await expect.poll(() => second.length, { timeout: 3000 }).toBe(3);

    expect(second).toEqual([
      { topic: "accessRequests", id: request.id },
      { topic: "accessRequests", id: request.id },
      { topic: "grantRevoked", id: approved.grant!.id },
    ]);
    // The first subscriber left before the revocation.
    expect(first.map((event) => event.topic)).toEqual(["accessRequests", "accessRequests"]);
  });
});
