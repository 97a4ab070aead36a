import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint, seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { verifyAuditChain } from "../audit/verify-audit-chain.ts";
import type { Actor } from "../authz/permissions.ts";
import { open } from "../vault/seal.ts";
import { createConnection } from "./create-connection.ts";
import { getConnection } from "./get-connection.ts";
import type { UpdateConnectionInput } from "./schema.ts";
import { updateConnection } from "./update-connection.ts";

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;
const vaultKey = randomBytes(32);

/** A body as an HTTP client may send it, including fields the type rules out. */
const untyped = (body: Record<string, unknown>) => body as UpdateConnectionInput;

async function lastAudit(slug: string) {
  const { id } = await t.db.connection.findUniqueOrThrow({ where: { slug } });
  return t.db.auditEvent.findFirstOrThrow({ where: { action: "connection.updated", targetId: id }, orderBy: { id: "desc" } });
}

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob, carol } = await seedDemo(t.db));
  await createConnection(t.db, {
    actor: carol,
    vaultKey,
    input: {
      slug: "github",
      name: "GitHub",
      transport: "streamable-http",
      url: "https://mcp.github.example/mcp",
      headers: { Authorization: "Bearer old-secret" },
      maxMinutes: 60,
    },
  });
  await createConnection(t.db, {
    actor: carol,
    vaultKey,
    input: {
      slug: "local",
      name: "Local",
      transport: "stdio",
      command: "node",
      args: ["server.js"],
      env: { API_KEY: "env-secret" },
      headers: { "X-Trace": "t-1" },
      maxMinutes: 60,
    },
  });
});
afterAll(async () => t.drop());

describe("updateConnection", () => {
  it("is for admins only", async () => {
    await expect(updateConnection(t.db, { actor: alice, slug: "github", input: { name: "Mine now" }, vaultKey })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(updateConnection(t.db, { actor: bob, slug: "github", input: { maxMinutes: 5 }, vaultKey })).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    expect((await getConnection(t.db, { actor: alice, slug: "github" })).name).toBe("GitHub");
  });

  it("changes name and max minutes for new requests, leaves existing grants alone, and audits the field names", async () => {
    const { grantId } = await grantAndMint(t.db, { requester: alice, approver: bob, connection: "github", minutes: 50 });
    const before = await t.db.grant.findUniqueOrThrow({ where: { id: grantId } });

    const updated = await updateConnection(t.db, {
      actor: carol,
      slug: "github",
      input: { name: "GitHub (prod)", maxMinutes: 30, description: "the org" },
      vaultKey,
    });
    expect(updated).toMatchObject({ slug: "github", name: "GitHub (prod)", maxMinutes: 30, description: "the org", hasCredential: true });
    await expect(getConnection(t.db, { actor: carol, slug: "github" })).resolves.toEqual(updated);
    // Requesters see the change too, without where the upstream is.
    const { url: _url, command: _command, args: _args, ...catalog } = updated;
    await expect(getConnection(t.db, { actor: alice, slug: "github" })).resolves.toEqual(catalog);
    expect((await t.db.grant.findUniqueOrThrow({ where: { id: grantId } })).expiresAt).toEqual(before.expiresAt);
    await expect(grantAndMint(t.db, { requester: alice, approver: bob, connection: "github", minutes: 50 })).rejects.toMatchObject({
      field: "minutes",
    });

    const audit = await lastAudit("github");
    expect(audit).toMatchObject({
      actorEmail: carol.email,
      targetType: "Connection",
      data: { slug: "github", fields: ["name", "description", "maxMinutes"] },
    });

    await expect(updateConnection(t.db, { actor: carol, slug: "github", input: { description: null }, vaultKey })).resolves.toMatchObject({
      description: null,
    });
    // Sending what is already stored changes nothing and writes no event.
    const events = await t.db.auditEvent.count();
    await expect(updateConnection(t.db, { actor: carol, slug: "github", input: { maxMinutes: 30 }, vaultKey })).resolves.toMatchObject({
      maxMinutes: 30,
    });
    expect(await t.db.auditEvent.count()).toBe(events);
  });

  it("refuses fields that do not fit the connection's transport, naming them", async () => {
    for (const input of [{ command: "node" }, { args: ["x"] }, { env: { TOKEN: "x" } }] satisfies UpdateConnectionInput[]) {
      const field = Object.keys(input)[0];
      await expect(
        updateConnection(t.db, { actor: carol, slug: "github", input: { name: "ignored", ...input }, vaultKey }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
        field,
        message: expect.stringMatching(/only to stdio connections/),
      });
    }
    await expect(
      updateConnection(t.db, { actor: carol, slug: "local", input: { url: "https://example.com/mcp" }, vaultKey }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "url",
    });
    expect((await getConnection(t.db, { actor: carol, slug: "github" })).name).toBe("GitHub (prod)");
  });

  it("keeps a URL's scheme to its transport: ws(s) for WebSocket connections, http(s) for the others", async () => {
    await createConnection(t.db, {
      actor: carol,
      vaultKey,
      input: { slug: "socket", name: "Socket", transport: "websocket", url: "wss://mcp.example.com/ws", maxMinutes: 60 },
    });
    await expect(
      updateConnection(t.db, { actor: carol, slug: "socket", input: { url: "https://mcp.example.com/mcp" }, vaultKey }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "url", message: expect.stringMatching(/ws:\/\/ or wss:\/\//) });
    await expect(
      updateConnection(t.db, { actor: carol, slug: "github", input: { url: "wss://mcp.example.com/ws" }, vaultKey }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "url" });
    await expect(
      updateConnection(t.db, { actor: carol, slug: "socket", input: { url: "ws://127.0.0.1:9/ws" }, vaultKey }),
    ).resolves.toMatchObject({ transport: "websocket", url: "ws://127.0.0.1:9/ws" });
  });

  it("refuses a slug or transport change, unknown fields, an empty body and an unknown slug", async () => {
    await expect(updateConnection(t.db, { actor: carol, slug: "github", input: untyped({ slug: "gh" }), vaultKey })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "slug",
      message: expect.stringMatching(/cannot be changed/),
    });
    await expect(
      updateConnection(t.db, { actor: carol, slug: "github", input: untyped({ transport: "stdio" }), vaultKey }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "transport",
    });
    await expect(
      updateConnection(t.db, { actor: carol, slug: "github", input: untyped({ hasCredential: false }), vaultKey }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      field: "hasCredential",
    });
    await expect(updateConnection(t.db, { actor: carol, slug: "github", input: {}, vaultKey })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^Nothing to change/),
    });
    await expect(updateConnection(t.db, { actor: carol, slug: "github", input: { maxMinutes: 0 }, vaultKey })).rejects.toMatchObject({
      field: "maxMinutes",
    });
    await expect(updateConnection(t.db, { actor: carol, slug: "nope", input: { name: "x" }, vaultKey })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(getConnection(t.db, { actor: carol, slug: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await getConnection(t.db, { actor: carol, slug: "github" })).toMatchObject({ slug: "github", transport: "streamable-http" });
  });

  it("rotates the sealed headers: the new value opens for this connection only, the old one is gone, the audit names only the header", async () => {
    const before = await t.db.connection.findUniqueOrThrow({ where: { slug: "github" } });
    const view = await updateConnection(t.db, {
      actor: carol,
      slug: "github",
      input: { headers: { Authorization: "Bearer new-secret" } },
      vaultKey,
    });
    expect(view.hasCredential).toBe(true);
    expect(JSON.stringify(view)).not.toContain("new-secret");

    const after = await t.db.connection.findUniqueOrThrow({ where: { slug: "github" } });
    expect(after.credential).not.toBe(before.credential);
    expect(after.credential).not.toContain("new-secret");
    const opened = open(after.credential!, vaultKey, after.id);
    expect(JSON.parse(opened)).toEqual({ headers: { Authorization: "Bearer new-secret" } });
    expect(opened).not.toContain("old-secret");
    const local = await t.db.connection.findUniqueOrThrow({ where: { slug: "local" } });
    expect(() => open(after.credential!, vaultKey, local.id)).toThrow();

    const audit = await lastAudit("github");
    expect(audit.data).toEqual({
      slug: "github",
      fields: ["credential"],
      credential: { change: "rotated", headers: ["Authorization"], env: [] },
    });
    const text = JSON.stringify(audit.data);
    expect(text).toContain("Authorization");
    expect(text).not.toMatch(/new-secret|old-secret/);
  });

  it("replaces only the part of a stdio credential that is sent", async () => {
    await updateConnection(t.db, {
      actor: carol,
      slug: "local",
      input: { env: { API_KEY: "env-rotated", REGION: "eu" }, args: ["server.js", "--verbose"] },
      vaultKey,
    });
    const row = await t.db.connection.findUniqueOrThrow({ where: { slug: "local" } });
    expect(row.args).toEqual(["server.js", "--verbose"]);
    expect(JSON.parse(open(row.credential!, vaultKey, row.id))).toEqual({
      headers: { "X-Trace": "t-1" },
      env: { API_KEY: "env-rotated", REGION: "eu" },
    });
    const audit = await lastAudit("local");
    expect(audit.data).toEqual({
      slug: "local",
      fields: ["args", "credential"],
      credential: { change: "rotated", headers: ["X-Trace"], env: ["API_KEY", "REGION"] },
    });
    expect(JSON.stringify(audit.data)).not.toMatch(/env-rotated|env-secret|t-1/);
  });

  it("clears the credential, and refuses to clear and rotate at once", async () => {
    await expect(
      updateConnection(t.db, { actor: carol, slug: "github", input: { clearCredential: true, headers: { Authorization: "x" } }, vaultKey }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", field: "clearCredential" });
    const view = await updateConnection(t.db, { actor: carol, slug: "github", input: { clearCredential: true }, vaultKey });
    expect(view.hasCredential).toBe(false);
    expect((await t.db.connection.findUniqueOrThrow({ where: { slug: "github" } })).credential).toBeNull();
    expect((await lastAudit("github")).data).toEqual({
      slug: "github",
      fields: ["credential"],
      credential: { change: "cleared", headers: [], env: [] },
    });
    await expect(verifyAuditChain(t.db)).resolves.toMatchObject({ ok: true });
  });
});
