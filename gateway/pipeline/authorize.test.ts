import { describe, expect, it } from "vitest";
import { authorize } from "./authorize.ts";

const connection = { id: "c1", slug: "everything" };
const now = new Date("2026-01-01T12:00:00Z");
const active = { id: "g", connectionId: "c1", expiresAt: new Date("2026-01-01T12:15:00Z"), revokedAt: null };

describe("authorize", () => {
  it("passes an active grant for this connection", () => {
    expect(() => authorize(active, connection, now)).not.toThrow();
  });
  it("names the reason for each refusal", () => {
    expect(() => authorize({ ...active, connectionId: "other" }, connection, now)).toThrow(/not for "everything"/);
    expect(() => authorize({ ...active, expiresAt: now }, connection, now)).toThrow(/expired/);
    expect(() => authorize({ ...active, revokedAt: now }, connection, now)).toThrow(/revoked/);
  });
});
