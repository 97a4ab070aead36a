import { randomBytes } from "node:crypto";
import type { Db } from "../lib/db/client.ts";
import { loadPolicyDocuments } from "../lib/policies/load-policies.ts";
import { GLOBAL_SCOPE } from "../lib/policies/policy-scope.ts";
import { type CompiledPolicy, compilePolicy } from "../lib/policy/index.ts";
import { maskHashKey } from "../lib/vault/derive-key.ts";
import type { Logger } from "./log.ts";

/** The policy of a connection cannot be used; the message is written for the caller. */
export class PolicyUnavailableError extends Error {}

type Entry = { policy: CompiledPolicy; version: string } | { error: string; version: string };

/**
 * Compiled policies per connection, kept in memory so the per-message check costs no query.
 * A save anywhere sends NOTIFY; the watcher calls `changed(scope)` and the affected entries are
 * recompiled at once — open sessions read the entry on every message, so they switch too. An entry
 * that cannot be loaded or compiled refuses every message of its connection (fail closed).
 */
export class PolicyCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private readonly hashKey: Uint8Array;

  constructor(private readonly options: { db: Db; vaultKey: Uint8Array | null; log: Logger }) {
    // Without the vault key, `hash` masking still hides values but its tokens differ per process.
    this.hashKey = options.vaultKey ? maskHashKey(options.vaultKey) : randomBytes(32);
  }

  /** The policy for a connection, loading it on first use (session start). */
  async load(connectionId: string): Promise<CompiledPolicy> {
    const entry = this.entries.get(connectionId) ?? (await this.refresh(connectionId));
    if ("error" in entry) throw new PolicyUnavailableError(entry.error);
    return entry.policy;
  }

  /** The policy in force right now, synchronously (the per-message path). Throws if it is unusable. */
  current(connectionId: string): CompiledPolicy {
    const entry = this.entries.get(connectionId);
    if (!entry) throw new PolicyUnavailableError("The connection's policy is not loaded.");
    if ("error" in entry) throw new PolicyUnavailableError(entry.error);
    return entry.policy;
  }

  versionOf(connectionId: string): string | undefined {
    return this.entries.get(connectionId)?.version;
  }

  /** A NOTIFY said this scope was saved ("global" or "connection:<id>"). */
  changed(scope: string): Promise<void> {
    const ids =
      scope === GLOBAL_SCOPE ? [...this.entries.keys()] : [scope.replace(/^connection:/, "")].filter((id) => this.entries.has(id));
    return Promise.all(ids.map((id) => this.refresh(id))).then(() => undefined);
  }

  /** Notifications may have been missed (the listener reconnected): reload everything. */
  changedAll(): Promise<void> {
    return this.changed(GLOBAL_SCOPE);
  }

  private refresh(connectionId: string): Promise<Entry> {
    const running = this.loading.get(connectionId);
    if (running) return running.then(() => this.refresh(connectionId));
    const load = this.compile(connectionId).finally(() => this.loading.delete(connectionId));
    this.loading.set(connectionId, load);
    return load;
  }

  private async compile(connectionId: string): Promise<Entry> {
    let entry: Entry;
    try {
      const documents = await loadPolicyDocuments(this.options.db, connectionId);
      try {
        entry = { policy: compilePolicy({ ...documents, hashKey: this.hashKey }), version: documents.version };
      } catch (error) {
        this.options.log.error("policy does not compile; refusing the connection's traffic", {
          connectionId,
          error: (error as Error).message,
        });
        entry = {
          error: `The connection's policy (version ${documents.version}) could not be applied, so nothing is let through. An admin must fix it.`,
          version: documents.version,
        };
      }
    } catch (error) {
      // Keep the policy we had: the database is down, so nobody can have saved a new one.
      const previous = this.entries.get(connectionId);
      if (previous) {
        this.options.log.warn("could not reload policy; keeping the one in force", { connectionId, error: (error as Error).message });
        return previous;
      }
      throw error;
    }
    this.entries.set(connectionId, entry);
    return entry;
  }
}
