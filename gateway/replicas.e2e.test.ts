import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeGrant } from "../lib/grants/revoke-grant.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { waitFor } from "../test/wait-for.ts";
import { createLogger } from "./log.ts";
import { type Gateway, startGateway } from "./server.ts";

// Two gateway replicas on one Postgres, as behind a load balancer: what one portal process
// changes (a revocation, a policy) reaches both through LISTEN/NOTIFY, with no other moving part.

let harness: TestGateway;
let second: Gateway;

beforeAll(async () => {
  harness = await startTestGateway({ instanceId: "replica-a" });
  second = await startGateway({
    databaseUrl: harness.t.url,
    port: 0,
    vaultKey: harness.vaultKey,
    instanceId: "replica-b",
    log: createLogger({ sink: () => undefined }),
  });
});
afterAll(async () => {
  await second?.close().catch(() => undefined);
  await harness?.stop();
});

describe("two gateway replicas on one Postgres", () => {
  it("a revocation ends the grant's sessions on both replicas within a second", async () => {
    const { token, grantId } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const onA = mcpClient(harness.gateway.url, token);
    const onB = mcpClient(second.url, token);
    await onA.client.connect(onA.transport);
    await onB.client.connect(onB.transport);
    const [sessionA, sessionB] = [onA.transport.sessionId!, onB.transport.sessionId!];
    expect(harness.gateway.registry.get(sessionA)).toBeDefined();
    expect(second.registry.get(sessionB)).toBeDefined();

    const revoked = Date.now();
    await revokeGrant(harness.t.db, { actor: harness.users.bob, grantId, reason: "replica test" });
    await waitFor(() => harness.gateway.registry.get(sessionA) === undefined && second.registry.get(sessionB) === undefined, 3000);
    expect(Date.now() - revoked).toBeLessThan(1000);
    await expect(onB.client.listTools()).rejects.toThrow(/revoked/);
    await onA.client.close().catch(() => undefined);
    await onB.client.close().catch(() => undefined);
  });

  it("a saved policy applies on both replicas within a second", async () => {
    const { token } = await grantAndMint(harness.t.db, {
      requester: harness.users.alice,
      approver: harness.users.bob,
      connection: "everything",
    });
    const onA = mcpClient(harness.gateway.url, token);
    const onB = mcpClient(second.url, token);
    await onA.client.connect(onA.transport);
    await onB.client.connect(onB.transport);
    await savePolicy(harness.t.db, {
      actor: harness.users.carol,
      target: { kind: "connection", slug: "everything" },
      document: {
        default: "allow",
        rules: [{ kind: "guardrail", id: "no-echo", description: "Echo off", match: { name: "echo" }, action: "deny" }],
      },
    });
    const saved = Date.now();
    for (const { client } of [onA, onB]) {
      await waitFor(async () => {
        try {
          await client.callTool({ name: "echo", arguments: { message: "x" } });
          return false;
        } catch (error) {
          return /Echo off/.test((error as Error).message);
        }
      }, 3000);
    }
    expect(Date.now() - saved).toBeLessThan(1500);
    for (const { client, transport } of [onA, onB]) {
      await transport.terminateSession().catch(() => undefined);
      await client.close().catch(() => undefined);
    }
  });
});
