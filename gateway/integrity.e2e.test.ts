import { afterAll, beforeAll, expect, it } from "vitest";
import { auditCheckpointKey } from "../lib/audit/checkpoint.ts";
import { verifyAuditChain } from "../lib/audit/verify-audit-chain.ts";
import { verifySession } from "../lib/recording/verify-session.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { waitFor } from "../test/wait-for.ts";

// What the gateway leaves behind for verification: each ended session's chain head, and on
// shutdown a signed checkpoint of the audit chain's head.

let harness: TestGateway;

beforeAll(async () => {
  harness = await startTestGateway();
});
afterAll(async () => harness?.stop());

it("stores a session's chain head when it ends and checkpoints the audit chain on shutdown", async () => {
  const { t, gateway, users, vaultKey } = harness;
  const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "everything" });
  const { client, transport } = mcpClient(gateway.url, token);
  await client.connect(transport);
  await client.callTool({ name: "echo", arguments: { message: "checked" } });
  const sessionId = transport.sessionId!;
  await transport.terminateSession();
  await client.close();

  // The DELETE is answered before the session's row is ended (its upstream stops first).
  const session = await waitFor(() => t.db.session.findFirst({ where: { id: sessionId, endedAt: { not: null } } }));
  await gateway.close();
  const newest = await t.db.sessionEvent.findFirstOrThrow({ where: { sessionId }, orderBy: { seq: "desc" } });
  expect([session.lastSeq, session.lastHash]).toEqual([newest.seq, newest.hash]);
  expect(await verifySession(t.db, { actor: users.alice, sessionId })).toMatchObject({ ok: true, headChecked: true, events: newest.seq });

  const head = await t.db.auditEvent.findFirstOrThrow({ orderBy: { id: "desc" } });
  const checkpoint = await t.db.auditCheckpoint.findFirstOrThrow({ orderBy: { id: "desc" } });
  expect([checkpoint.eventId, checkpoint.hash]).toEqual([head.id, head.hash]);
  expect(await verifyAuditChain(t.db, { checkpointKey: auditCheckpointKey(vaultKey) })).toMatchObject({
    ok: true,
    checkpoint: { eventId: String(head.id) },
  });
});
