import type { Db } from "../../lib/db/client.ts";
import { type GatewayTokenGrant, resolveGatewayToken } from "../../lib/tokens/resolve-gateway-token.ts";
import { GATEWAY_TOKEN_PREFIX, hashToken } from "../../lib/tokens/secret-token.ts";

/** Looks a gateway token up in Postgres (the default is `resolveGatewayToken`; tests count calls). */
export type ResolveToken = (db: Db, token: string) => Promise<GatewayTokenGrant | null>;

/**
 * Gateway token → (user, grant, token id), resolved once and kept in memory, so an HTTP request
 * with a known token costs no database round trip.
 *
 * It is only trusted while the grant watcher's LISTEN connection is up: a revoked grant or token
 * arrives as NOTIFY and drops its entries at once, and every sweep of the watcher drops them all
 * (a lost notification is caught within a sweep). While LISTEN is down nothing is served from
 * memory: every request queries. What the cache returns is still judged on every message by the
 * callers (token revoked, grant revoked or expired, connection) — the cache only saves the lookup.
 */
export class GrantCache {
  private readonly entries = new Map<string, GatewayTokenGrant>();
  private listening = false;
  /** Bumped by every invalidation: a lookup that started before one must not store its (maybe stale) answer. */
  private generation = 0;

  constructor(
    private readonly db: Db,
    private readonly options: { maxEntries?: number; resolve?: ResolveToken } = {},
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The grant behind a gateway token, or null when it is not one of ours. */
  async resolve(token: string): Promise<GatewayTokenGrant | null> {
    if (!token.startsWith(GATEWAY_TOKEN_PREFIX)) return null;
    const key = hashToken(token);
    if (this.listening) {
      const hit = this.entries.get(key);
      if (hit) return hit;
    }
    const generation = this.generation;
    const resolved = await (this.options.resolve ?? resolveGatewayToken)(this.db, token);
    // Unknown tokens are not remembered: a client must not be able to fill memory with guesses.
    if (resolved && this.listening && generation === this.generation) {
      if (this.entries.size >= (this.options.maxEntries ?? 10_000)) {
        const oldest = this.entries.keys().next();
        if (!oldest.done) this.entries.delete(oldest.value);
      }
      this.entries.set(key, resolved);
    }
    return resolved;
  }

  /** The LISTEN connection came up (start from scratch: anything may have changed meanwhile) or went down (stop trusting memory). */
  setListening(listening: boolean): void {
    this.listening = listening;
    this.clear();
  }

  /** A grant was revoked (NOTIFY): every token bound to it is looked up again. */
  invalidateGrant(grantId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.grant.id === grantId) this.entries.delete(key);
  }

  /** A gateway token was revoked (NOTIFY). */
  invalidateToken(tokenId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.tokenId === tokenId) this.entries.delete(key);
  }

  /** Everything is looked up again (the watcher's sweep, a reconnect). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
