import type { Direction } from "../db/generated/enums.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { describeMessage } from "./describe-message.ts";
import type { EventWriter } from "./event-writer.ts";

export interface RecordAnnotations {
  decision?: string | null;
  masked?: Record<string, number> | null;
}

/**
 * Durable, ordered recording of one gateway session. `record` resolves only once the event is
 * committed, so the gateway forwards a message after its record exists (write-ahead). Sequence
 * numbers and the hash chain are assigned when `record` is called, i.e. in message order; the
 * shared EventWriter commits them in that order. After a failed write the chain has a gap, so
 * the recorder refuses everything after it: the session must end (fail closed).
 */
export class SessionRecorder {
  private seq = 0;
  private prevHash = GENESIS_HASH;
  private pending = new Set<Promise<void>>();
  private failure: Error | undefined;

  constructor(
    private readonly writer: EventWriter,
    readonly sessionId: string,
  ) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * `payload` must already be what may be stored (masked by the policy); `annotations` say what
   * the policy decided and masked, and are covered by the hash chain like the payload.
   */
  record(direction: Direction, payload: unknown, annotations: RecordAnnotations = {}): Promise<void> {
    if (this.failure) return Promise.reject(new Error(`recording of this session failed earlier: ${this.failure.message}`));
    const summary = describeMessage(payload);
    const seq = ++this.seq;
    const at = new Date();
    const decision = annotations.decision ?? null;
    const masked = annotations.masked && Object.keys(annotations.masked).length > 0 ? annotations.masked : null;
    // Older events hashed only these four fields; the annotations join the hash only when present.
    const hashed = { seq, at: at.toISOString(), direction, payload, ...(decision ? { decision } : {}), ...(masked ? { masked } : {}) };
    const hash = chainHash(this.prevHash, hashed);
    const row = { sessionId: this.sessionId, seq, at, direction, ...summary, payload, decision, masked, prevHash: this.prevHash, hash };
    this.prevHash = hash;
    const write = this.writer.write(row).catch((error: Error) => {
      this.failure ??= error;
      throw error;
    });
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write)).catch(() => undefined);
    return write;
  }

  /**
   * The chain head to store when the session ends, or undefined after a failed write (then the
   * newest stored event is the head: the recording ended there).
   */
  get head(): { seq: number; hash: string } | undefined {
    return this.failure ? undefined : { seq: this.seq, hash: this.prevHash };
  }

  /** Waits for every write issued so far (failures included). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
