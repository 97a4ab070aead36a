import type { GatewaySession } from "./session.ts";

/**
 * A client stream that holds a session slot before (and while) its session exists: a legacy SSE
 * event stream, whose session starts with its first message. Revoking its grant or token, and
 * shutting down, end it like a session, so a stream that never sent anything is cut too.
 */
export interface ClientStream {
  /** The id its client names the stream by (the SSE message endpoint's `sessionId`). */
  readonly id: string;
  readonly grantId: string;
  readonly tokenId: string | null;
  close(reason: string): Promise<void>;
}

/**
 * Live sessions of this gateway process, by id and by grant (to cut them on revocation). A session
 * is added once started and removed by its `onClosed` callback. Client streams are kept beside them.
 */
export class SessionRegistry {
  private readonly byId = new Map<string, GatewaySession>();
  private readonly byGrant = new Map<string, Set<GatewaySession>>();
  private readonly streams = new Map<string, ClientStream>();

  addStream(stream: ClientStream): void {
    this.streams.set(stream.id, stream);
  }

  stream(id: string): ClientStream | undefined {
    return this.streams.get(id);
  }

  removeStream(stream: ClientStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

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

  /** Grants of live sessions and client streams (the grant watcher's sweep re-reads them). */
  grantIds(): string[] {
    return [...new Set([...this.byGrant.keys(), ...[...this.streams.values()].map((stream) => stream.grantId)])];
  }

  /** Gateway tokens behind live sessions and client streams (the grant watcher's sweep checks them for revocation). */
  tokenIds(): string[] {
    const ids = [...this.byId.values(), ...this.streams.values()].map((open) => open.tokenId);
    return [...new Set(ids)].filter((id): id is string => id !== null);
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
    const streams = [...this.streams.values()].filter((stream) => stream.grantId === grantId);
    await Promise.all([...this.forGrant(grantId), ...streams].map((open) => open.close(reason)));
  }

  async closeToken(tokenId: string, reason: string): Promise<void> {
    const open = [...this.byId.values(), ...this.streams.values()].filter((item) => item.tokenId === tokenId);
    await Promise.all(open.map((item) => item.close(reason)));
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.byId.values(), ...this.streams.values()].map((open) => open.close(reason)));
  }
}
