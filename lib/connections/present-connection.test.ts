import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../test/fixtures.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import type { Actor } from "../authz/permissions.ts";
import { createConnection } from "./create-connection.ts";
import { getConnection } from "./get-connection.ts";
import { listConnections } from "./list-connections.ts";
import { updateConnection } from "./update-connection.ts";

// Where an upstream is (its URL, or the command and arguments the gateway spawns) can name
// internal hosts, paths and flags: admins see it, everyone else gets the catalog without it.

let t: TestDatabase;
let alice: Actor;
let bob: Actor;
let carol: Actor;
const vaultKey = randomBytes(32);
const UPSTREAM = ["url", "command", "args"];

beforeAll(async () => {
  t = await createTestDatabase();
  ({ alice, bob, carol } = await seedDemo(t.db));
  await createConnection(t.db, {
    actor: carol,
    vaultKey,
    input: { slug: "internal", name: "Internal", transport: "streamable-http", url: "https://mcp.corp.internal:8443/mcp", maxMinutes: 60 },
  });
  await createConnection(t.db, {
    actor: carol,
    vaultKey,
    input: { slug: "tool", name: "Tool", transport: "stdio", command: "/opt/tools/mcp", args: ["--db", "prod-replica"], maxMinutes: 60 },
  });
});
afterAll(async () => t.drop());

describe("presentConnection", () => {
  it("leaves url, command and args out altogether for requesters and approvers", async () => {
    for (const actor of [alice, bob]) {
      const list = await listConnections(t.db, { actor });
      expect(list.map((c) => c.slug)).toEqual(expect.arrayContaining(["internal", "tool"]));
      for (const connection of [...list, await getConnection(t.db, { actor, slug: "tool" })]) {
        for (const key of UPSTREAM) expect(Object.hasOwn(connection, key), `${actor.email} ${connection.slug} ${key}`).toBe(false);
      }
      const text = JSON.stringify(list);
      expect(text).not.toContain("corp.internal");
      expect(text).not.toContain("prod-replica");
      expect(await getConnection(t.db, { actor, slug: "internal" })).toMatchObject({ slug: "internal", transport: "streamable-http" });
    }
  });

  it("shows them to admins, in the list, one connection, and the answers to create and update", async () => {
    const list = await listConnections(t.db, { actor: carol });
    expect(list.find((c) => c.slug === "internal")).toMatchObject({ url: "https://mcp.corp.internal:8443/mcp", command: null, args: [] });
    expect(await getConnection(t.db, { actor: carol, slug: "tool" })).toMatchObject({
      command: "/opt/tools/mcp",
      args: ["--db", "prod-replica"],
    });
    const updated = await updateConnection(t.db, { actor: carol, slug: "tool", input: { args: ["--db", "staging"] }, vaultKey });
    expect(updated).toMatchObject({ command: "/opt/tools/mcp", args: ["--db", "staging"] });
  });
});
