import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import type { Actor } from "../authz/permissions.ts";
import { LIVE_CHANNELS } from "../events/channels.ts";
import type { PolicyDocument } from "../policy/schema.ts";
import { getPolicy, listPolicyVersions } from "./get-policy.ts";
import { loadPolicyDocuments } from "./load-policies.ts";
import { previewPolicy } from "./preview-policy.ts";
import { restorePolicyVersion, savePolicy } from "./save-policy.ts";

let t: TestDatabase;
let alice: Actor;
let carol: Actor;
const hashKey = randomBytes(32);
const everything = { kind: "connection", slug: "everything" } as const;

const denyEcho: PolicyDocument = {
  default: "allow",
  rules: [{ kind: "guardrail", description: "No echo", match: { name: "echo" }, action: "deny" }],
};
const maskEmails: PolicyDocument = { default: "allow", rules: [{ kind: "mask", id: "emails", detectors: ["email"], style: "redact" }] };

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, carol } = await seedDemo(t.db));
});
afterAll(async () => t.drop());

describe("policies in Postgres", () => {
  it("starts empty (version 0: allow everything, mask nothing)", async () => {
    const policy = await getPolicy(t.db, { actor: alice, target: everything });
    expect(policy).toMatchObject({ scope: "connection", connection: "everything", version: 0, default: "allow", rules: [] });
  });

  it("saves versions with ids, author, a diff summary and an audit event in the same transaction, and notifies gateways", async () => {
    const listener = new pg.Client({ connectionString: t.url });
    await listener.connect();
    const notified: string[] = [];
    listener.on("notification", (message) => notified.push(message.payload ?? ""));
    await listener.query(`LISTEN ${LIVE_CHANNELS.policies}`);

    const first = await savePolicy(t.db, { actor: carol, target: everything, document: denyEcho });
    expect(first).toMatchObject({ version: 1, updatedBy: "carol@example.com" });
    expect(first.rules[0]?.id).toMatch(/^r-[0-9a-f]{8}$/);
    const second = await savePolicy(t.db, {
      actor: carol,
      target: everything,
      document: { ...denyEcho, rules: [...first.rules, ...maskEmails.rules] },
      baseVersion: 1,
    });
    expect(second.version).toBe(2);

    const versions = await listPolicyVersions(t.db, { actor: alice, target: everything });
    expect(versions.map((v) => [v.version, v.summary])).toEqual([
      [2, "added emails"],
      [1, `added ${first.rules[0]?.id} "No echo"`],
    ]);
    const audit = await t.db.auditEvent.findMany({ where: { action: "policy.saved" }, orderBy: { id: "asc" } });
    expect(audit.map((event) => (event.data as { version: number }).version)).toEqual([1, 2]);
    expect((await verifyAuditChain(t.db)).ok).toBe(true);

    const connection = await t.db.connection.findUniqueOrThrow({ where: { slug: "everything" } });
    await expect.poll(() => notified.length).toBe(2);
    expect(notified).toEqual([`connection:${connection.id}`, `connection:${connection.id}`]);
    await listener.end();
  });

  it("refuses a save based on a stale version (409) and creates no version for an unchanged document", async () => {
    const current = await getPolicy(t.db, { actor: carol, target: everything });
    await expect(
      savePolicy(t.db, { actor: carol, target: everything, document: denyEcho, baseVersion: current.version - 1 }),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    const same = await savePolicy(t.db, {
      actor: carol,
      target: everything,
      document: { default: current.default, rules: current.rules },
      baseVersion: current.version,
    });
    expect(same.version).toBe(current.version);
  });

  it("only admins change policies; everyone signed in reads them", async () => {
    await expect(savePolicy(t.db, { actor: alice, target: everything, document: denyEcho })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(getPolicy(t.db, { actor: alice, target: { kind: "global" } })).resolves.toMatchObject({ scope: "global" });
    await expect(getPolicy(t.db, { actor: alice, target: { kind: "connection", slug: "nope" } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("restores an old version as a new one, audited as a restore", async () => {
    const restored = await restorePolicyVersion(t.db, { actor: carol, target: everything, version: 1 });
    expect(restored.version).toBe(3);
    expect(restored.rules.map((rule) => rule.kind)).toEqual(["guardrail"]);
    const [latest] = await listPolicyVersions(t.db, { actor: carol, target: everything });
    expect(latest).toMatchObject({ version: 3, restoredFrom: 1, summary: "restored version 1: removed emails" });
    expect(await t.db.auditEvent.count({ where: { action: "policy.restored" } })).toBe(1);
  });

  it("keeps the global policy apart and loads both for a connection", async () => {
    await savePolicy(t.db, { actor: carol, target: { kind: "global" }, document: maskEmails });
    const connection = await t.db.connection.findUniqueOrThrow({ where: { slug: "everything" } });
    const loaded = await loadPolicyDocuments(t.db, connection.id);
    expect(loaded.version).toBe("g1.c3");
    expect(loaded.global?.rules[0]).toMatchObject({ kind: "mask", id: "emails" });
    expect(loaded.connection?.rules[0]).toMatchObject({ kind: "guardrail", description: "No echo" });
  });

  it("previews exactly what the gateway would do, on the saved policies or on a draft", async () => {
    const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "ECHO", arguments: { message: "hi" } } };
    const saved = await previewPolicy(t.db, {
      actor: alice,
      hashKey,
      input: { connection: "everything", message: call, direction: "request" },
    });
    expect(saved).toMatchObject({ decision: "deny", rule: { description: "No echo", scope: "connection" } });

    const answer = { jsonrpc: "2.0", id: 1, result: { content: [{ type: "text", text: "write to ops@example.com" }] } };
    const draft = await previewPolicy(t.db, {
      actor: alice,
      hashKey,
      input: { connection: "everything", policy: { default: "allow", rules: [] }, message: answer, direction: "response" },
    });
    // The draft replaces the connection's policy; the saved global one (mask emails) still applies.
    expect(JSON.stringify(draft.masked)).toContain("[REDACTED:email]");
    expect(draft.findings).toEqual([{ kind: "email", path: "$.result.content[0].text", start: 9, end: 24 }]);
  });
});
