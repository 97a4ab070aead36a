import { describe, expect, it } from "vitest";
import type { Db } from "../../lib/db/client.ts";
import type { GatewayTokenGrant } from "../../lib/tokens/resolve-gateway-token.ts";
import { GrantCache } from "./grant-cache.ts";

const db = {} as Db;
const grantFor = (token: string): GatewayTokenGrant => ({
  tokenId: `t-${token}`,
  tokenRevokedAt: null,
  user: { id: "u", email: "u@example.com" },
  grant: { id: token.endsWith("b") ? "g2" : "g1", connectionId: "c", expiresAt: new Date(Date.now() + 60_000), revokedAt: null },
});

function counting() {
  const calls: string[] = [];
  let answer: (token: string) => GatewayTokenGrant | null = grantFor;
  const cache = new GrantCache(db, {
    resolve: async (_db, token) => {
      calls.push(token);
      return answer(token);
    },
  });
  return { cache, calls, setAnswer: (next: (token: string) => GatewayTokenGrant | null) => (answer = next) };
}

describe("GrantCache", () => {
  it("queries once per token while LISTEN is up", async () => {
    const { cache, calls } = counting();
    cache.setListening(true);
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_a");
    expect(calls).toEqual(["tgg_a"]);
  });

  it("queries on every request while LISTEN is down, and starts from scratch when it comes back", async () => {
    const { cache, calls } = counting();
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_a");
    expect(calls).toHaveLength(2);
    cache.setListening(true);
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_a");
    expect(calls).toHaveLength(3);
    cache.setListening(false);
    await cache.resolve("tgg_a");
    expect(calls).toHaveLength(4);
    expect(cache.size).toBe(0);
  });

  it("drops the entries of a revoked grant or token, and everything on a sweep", async () => {
    const { cache, calls } = counting();
    cache.setListening(true);
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_b");
    cache.invalidateGrant("g1");
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_b");
    expect(calls).toEqual(["tgg_a", "tgg_b", "tgg_a"]);
    cache.invalidateToken("t-tgg_b");
    await cache.resolve("tgg_b");
    expect(calls).toHaveLength(4);
    cache.clear();
    await cache.resolve("tgg_a");
    await cache.resolve("tgg_b");
    expect(calls).toHaveLength(6);
  });

  it("does not store an answer that a revocation overtook, nor unknown tokens, nor foreign ones", async () => {
    const calls: string[] = [];
    let release = () => {};
    const cache = new GrantCache(db, {
      resolve: async (_db, token) => {
        calls.push(token);
        if (token === "tgg_slow") await new Promise<void>((resolve) => (release = resolve));
        return token === "tgg_unknown" ? null : grantFor(token);
      },
    });
    cache.setListening(true);
    const pending = cache.resolve("tgg_slow");
    cache.invalidateGrant("g1");
    release();
    expect(await pending).not.toBeNull();
    expect(cache.size).toBe(0);
    expect(await cache.resolve("tgg_unknown")).toBeNull();
    expect(cache.size).toBe(0);
    expect(await cache.resolve("tg_api_token")).toBeNull();
    expect(calls).not.toContain("tg_api_token");
  });

  it("keeps at most maxEntries tokens", async () => {
    const cache = new GrantCache(db, { maxEntries: 2, resolve: async (_db, token) => grantFor(token) });
    cache.setListening(true);
    for (const token of ["tgg_1", "tgg_2", "tgg_3"]) await cache.resolve(token);
    expect(cache.size).toBe(2);
  });
});
