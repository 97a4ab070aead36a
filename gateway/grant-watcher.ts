import pg from "pg";
import type { Db } from "../lib/db/client.ts";
import { LIVE_CHANNELS } from "../lib/events/channels.ts";
import type { Logger } from "./log.ts";
import type { GrantCache } from "./pipeline/grant-cache.ts";
import type { HeldCalls } from "./pipeline/hold.ts";
import type { PolicyCache } from "./policy-cache.ts";
import type { SessionRegistry } from "./registry.ts";

/**
 * Keeps live sessions in step with their grants. Revocations arrive over LISTEN/NOTIFY and cut
 * sessions at once; a periodic sweep re-reads the grants (and the tokens) of open sessions from
 * Postgres, so a lost notification (or a replica that was reconnecting) still ends a revoked
 * session within seconds.
 */
export class GrantWatcher {
  private client: pg.Client | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  listening = false;

  constructor(
    private readonly options: {
      databaseUrl: string;
      db: Db;
      registry: SessionRegistry;
      log: Logger;
      policies?: PolicyCache;
      /** Decisions on held calls wake the session holding the call. */
      heldCalls?: HeldCalls;
      /** Token → grant in memory: trusted only while listening, dropped by revocations and every sweep. */
      grants?: GrantCache;
      sweepMs?: number;
    },
  ) {}

  async start(): Promise<void> {
    await this.connect();
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepMs ?? 5000);
    this.sweepTimer.unref();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    client.on("notification", (message) => {
      if (!message.payload) return;
      if (message.channel === LIVE_CHANNELS.grantRevoked) {
        this.options.grants?.invalidateGrant(message.payload);
        void this.options.registry.closeGrant(message.payload, "grant revoked");
      }
      if (message.channel === LIVE_CHANNELS.gatewayTokenRevoked) {
        this.options.grants?.invalidateToken(message.payload);
        void this.options.registry.closeToken(message.payload, "gateway token revoked");
      }
      if (message.channel === LIVE_CHANNELS.policies) void this.reloadPolicies(message.payload);
      if (message.channel === LIVE_CHANNELS.heldCalls) this.options.heldCalls?.changed(message.payload);
    });
    client.on("error", (error) => {
      this.options.log.warn("grant watcher connection lost", { error: error.message });
      this.setListening(false);
      this.scheduleReconnect();
    });
    client.on("end", () => {
      this.setListening(false);
      this.scheduleReconnect();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNELS.grantRevoked}`);
      await client.query(`LISTEN ${LIVE_CHANNELS.gatewayTokenRevoked}`);
      await client.query(`LISTEN ${LIVE_CHANNELS.policies}`);
      await client.query(`LISTEN ${LIVE_CHANNELS.heldCalls}`);
      this.client = client;
      this.setListening(true);
      // A policy saved while we were not listening: reload them all (cheap; a few rows).
      void this.reloadPolicies(null);
      // A decision on a held call made meanwhile: every waiting call re-reads its row.
      this.options.heldCalls?.changedAll();
      // Anything revoked while we were not listening is caught by a sweep right away.
      void this.sweep();
    } catch (error) {
      this.options.log.warn("grant watcher could not listen", { error: (error as Error).message });
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  /** Without LISTEN nothing may be served from memory: revocations would go unnoticed. */
  private setListening(listening: boolean): void {
    if (this.listening === listening) return;
    this.listening = listening;
    this.options.grants?.setListening(listening);
  }

  /** Recompiles the policies a NOTIFY names (null: all of them). */
  private async reloadPolicies(scope: string | null): Promise<void> {
    const policies = this.options.policies;
    if (!policies) return;
    await (scope ? policies.changed(scope) : policies.changedAll()).catch((error: Error) =>
      this.options.log.warn("could not reload policies", { error: error.message }),
    );
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, 1000);
    this.reconnectTimer.unref();
  }

  async sweep(): Promise<void> {
    // A notification lost in transit still reaches the token cache within one sweep.
    this.options.grants?.clear();
    const ids = this.options.registry.grantIds();
    if (ids.length === 0) return;
    try {
      const grants = await this.options.db.grant.findMany({
        where: { id: { in: ids } },
        select: { id: true, connectionId: true, expiresAt: true, revokedAt: true },
      });
      const now = new Date();
      const found = new Set(grants.map((grant) => grant.id));
      for (const grant of grants) {
        if (grant.revokedAt) await this.options.registry.closeGrant(grant.id, "grant revoked");
        else if (grant.expiresAt <= now) await this.options.registry.closeGrant(grant.id, "grant expired");
        else for (const session of this.options.registry.forGrant(grant.id)) session.updateGrant(grant);
      }
      for (const id of ids) if (!found.has(id)) await this.options.registry.closeGrant(id, "grant deleted");
      // A token revoked while its NOTIFY was lost (portal revocation, an OAuth replay revoking a
      // token family) ends its sessions too: a WebSocket or SSE session is not authenticated again.
      // So does an SSE stream still waiting for its first message.
      const tokenIds = this.options.registry.tokenIds();
      if (tokenIds.length > 0) {
        const revoked = await this.options.db.gatewayToken.findMany({
          where: { id: { in: tokenIds }, revokedAt: { not: null } },
          select: { id: true },
        });
        for (const { id } of revoked) await this.options.registry.closeToken(id, "gateway token revoked");
      }
    } catch (error) {
      this.options.log.warn("grant sweep failed", { error: (error as Error).message });
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setListening(false);
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }
}
