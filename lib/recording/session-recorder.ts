import { performance } from "node:perf_hooks";
import type { Direction } from "../db/generated/enums.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import { describeMessage } from "./describe-message.ts";
import type { EventWriter } from "./event-writer.ts";

export interface RecordAnnotations {
  decision?: string | null;
  masked?: Record<string, number> | null;
}

/** Requests awaiting their response, per side; the oldest are forgotten past this many. */
export const MAX_OPEN_REQUESTS = 10_000;

interface OpenRequest {
  seq: number;
  /** `performance.now()` when the request was recorded. */
  started: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A JSON-RPC id as a map key: JSON text, so 1 and "1" stay different requests. */
function idKey(message: Record<string, unknown>): string | undefined {
  const id = message.id;
  return typeof id === "string" || typeof id === "number" ? JSON.stringify(id) : undefined;
}

/**
 * Which side's requests a message recorded in `direction` may open or answer. Client requests
 * (CLIENT_TO_UPSTREAM) are answered upstream→client or by the gateway; server→client requests
 * (sampling, elicitation, roots: UPSTREAM_TO_CLIENT) are answered by the client, or refused by the
 * gateway towards the upstream. A GATEWAY_TO_UPSTREAM request is an approved held call being
 * forwarded: it neither opens nor answers anything (its response answers the client's request).
 */
const OPENS: Partial<Record<Direction, "client" | "server">> = { CLIENT_TO_UPSTREAM: "client", UPSTREAM_TO_CLIENT: "server" };
const ANSWERS: Record<Direction, "client" | "server"> = {
  UPSTREAM_TO_CLIENT: "client",
  GATEWAY_TO_CLIENT: "client",
  CLIENT_TO_UPSTREAM: "server",
  GATEWAY_TO_UPSTREAM: "server",
};

/**
 * Durable, ordered recording of one gateway session. `record` resolves only once the event is
 * committed, so the gateway forwards a message after its record exists (write-ahead). Sequence
 * numbers and the hash chain are assigned when `record` is called, i.e. in message order; the
 * shared EventWriter commits them in that order. After a failed write the chain has a gap, so
 * the recorder refuses everything after it: the session must end (fail closed).
 *
 * Each response is paired with the request it answers (same id, the other side's request):
 * `replyToSeq` is the request's seq and `latencyMs` the time between recording the two.
 */
export class SessionRecorder {
  private seq = 0;
  private prevHash = GENESIS_HASH;
  private committed = { seq: 0, hash: GENESIS_HASH };
  private pending = new Set<Promise<void>>();
  private failure: Error | undefined;
  private readonly open = { client: new Map<string, OpenRequest>(), server: new Map<string, OpenRequest>() };

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
    const now = performance.now();
    const summary = describeMessage(payload);
    const seq = ++this.seq;
    const at = new Date();
    const decision = annotations.decision ?? null;
    const masked = annotations.masked && Object.keys(annotations.masked).length > 0 ? annotations.masked : null;
    const request = this.pair(direction, payload, seq, now);
    const replyToSeq = request?.seq ?? null;
    const latencyMs = request ? Math.round((now - request.started) * 100) / 100 : null;
    // Older events hashed only these four fields; the annotations and the pairing join the hash only when present.
    const hashed = {
      seq,
      at: at.toISOString(),
      direction,
      payload,
      ...(decision ? { decision } : {}),
      ...(masked ? { masked } : {}),
      ...(replyToSeq !== null ? { replyToSeq } : {}),
      ...(latencyMs !== null ? { latencyMs } : {}),
    };
    const hash = chainHash(this.prevHash, hashed);
    const row = {
      sessionId: this.sessionId,
      seq,
      at,
      direction,
      ...summary,
      payload,
      decision,
      masked,
      replyToSeq,
      latencyMs,
      prevHash: this.prevHash,
      hash,
    };
    this.prevHash = hash;
    const write = this.writer.write(row).then(
      () => {
        // The writer commits a session's rows in order: this is the newest committed one.
        if (seq > this.committed.seq) this.committed = { seq, hash };
      },
      (error: Error) => {
        this.failure ??= error;
        throw error;
      },
    );
    this.pending.add(write);
    void write.finally(() => this.pending.delete(write)).catch(() => undefined);
    return write;
  }

  /** Notes a request as open, or finds (and closes) the request a response answers. */
  private pair(direction: Direction, payload: unknown, seq: number, now: number): OpenRequest | undefined {
    if (!isRecord(payload)) return undefined;
    const key = idKey(payload);
    if (key === undefined) return undefined;
    if (typeof payload.method === "string") {
      const side = OPENS[direction];
      if (!side) return undefined;
      const open = this.open[side];
      open.delete(key);
      open.set(key, { seq, started: now });
      if (open.size > MAX_OPEN_REQUESTS) open.delete(open.keys().next().value as string);
      return undefined;
    }
    if (!("method" in payload) && ("result" in payload || "error" in payload)) {
      const open = this.open[ANSWERS[direction]];
      const request = open.get(key);
      open.delete(key);
      return request;
    }
    return undefined;
  }

  /**
   * The chain head to store when the session ends, or undefined after a failed write (then the
   * newest stored event is the head: the recording ended there).
   */
  get head(): { seq: number; hash: string } | undefined {
    return this.failure ? undefined : { seq: this.seq, hash: this.prevHash };
  }

  /** The newest committed event's seq and hash: a head that may be stored while the session is open. */
  get committedHead(): { seq: number; hash: string } {
    return this.committed;
  }

  /** Waits for every write issued so far (failures included). */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
