import type { GatewaySession } from "./session.ts";

/**
 * Live sessions of this gateway process, by id and by grant (to cut them on revocation). A session
 * is added once started and removed by its `onClosed` callback.
 */
export class SessionRegistry {
  private readonly byId = new Map<string, GatewaySession>();
  private readonly byGrant = new Map<string, Set<GatewaySession>>();

  add(session: GatewaySession): void {
    this.byId.set(session.id, session);
    let set = this.byGrant.get(session.grant.id);
    if (!set) {
      set = new Set();
      this.byGrant.set(session.grant.id, set);
    }
    set.add(session);
  }

  get(id: string): GatewaySession | undefined {
    return this.byId.get(id);
  }

  remove(session: GatewaySession): void {
    if (this.byId.get(session.id) !== session) return;
    this.byId.delete(session.id);
    const set = this.byGrant.get(session.grant.id);
    set?.delete(session);
    if (set?.size === 0) this.byGrant.delete(session.grant.id);
  }

  grantIds(): string[] {
    return [...this.byGrant.keys()];
  }

  forGrant(grantId: string): GatewaySession[] {
    return [...(this.byGrant.get(grantId) ?? [])];
  }

  forUser(userId: string): GatewaySession[] {
    return [...this.byId.values()].filter((session) => session.userId === userId);
  }

  get size(): number {
    return this.byId.size;
  }

  async closeGrant(grantId: string, reason: string): Promise<void> {
    await Promise.all(this.forGrant(grantId).map((session) => session.close(reason)));
  }

  async closeToken(tokenId: string, reason: string): Promise<void> {
    await Promise.all([...this.byId.values()].filter((session) => session.tokenId === tokenId).map((session) => session.close(reason)));
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.byId.values()].map((session) => session.close(reason)));
  }
}
