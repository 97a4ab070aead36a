import type { Db } from "../db/client.ts";
import type { Direction } from "../db/generated/enums.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { describeMessage } from "./describe-message.ts";

/**
 * Durable, ordered recording of one gateway session. `record` resolves only once the event is
 * committed, so the gateway forwards a message after its record exists (write-ahead). Writes are
 * chained one after another to keep `seq` and the hash chain in message order.
 */
export class SessionRecorder {
  private seq = 0;
  private prevHash = GENESIS_HASH;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: Db,
    readonly sessionId: string,
  ) {}

  record(direction: Direction, payload: unknown): Promise<void> {
    const run = this.tail.then(() => this.write(direction, payload));
    // A failed write must not poison later ones; the caller still sees its own failure.
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async write(direction: Direction, payload: unknown): Promise<void> {
    const summary = describeMessage(payload);
    const seq = this.seq + 1;
    const at = new Date();
    const hash = chainHash(this.prevHash, { seq, at: at.toISOString(), direction, payload });
    await this.db.sessionEvent.create({
      data: {
        sessionId: this.sessionId,
        seq,
        at,
        direction,
        kind: summary.kind,
        rpcId: summary.rpcId,
        method: summary.method,
        tool: summary.tool,
        payload: payload as object,
        prevHash: this.prevHash,
        hash,
      },
    });
    this.seq = seq;
    this.prevHash = hash;
  }

  /** Waits for every write issued so far. */
  async flush(): Promise<void> {
    await this.tail;
  }
}
