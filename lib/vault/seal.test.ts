import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { open, seal } from "./seal.ts";

describe("vault seal/open", () => {
  const key = randomBytes(32);

  it("round-trips and never stores the plaintext", () => {
    const sealed = seal('{"headers":{"Authorization":"Bearer upstream-secret"}}', key, "conn_1");
    expect(sealed).not.toContain("upstream-secret");
    expect(open(sealed, key, "conn_1")).toContain("upstream-secret");
  });

  it("uses a fresh nonce each time", () => {
    expect(seal("same", key, "c")).not.toEqual(seal("same", key, "c"));
  });

  it("refuses a value moved to another connection, a wrong key, or tampering", () => {
    const sealed = seal("secret", key, "conn_1");
    expect(() => open(sealed, key, "conn_2")).toThrow();
    expect(() => open(sealed, randomBytes(32), "conn_1")).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("tampered").toString("base64url");
    expect(() => open(parts.join("."), key, "conn_1")).toThrow();
  });
});
