import type { RequestId } from "@modelcontextprotocol/sdk/types.js";
import type { Db } from "../../lib/db/client.ts";
import type { HeldCallScope, HeldCallStatus } from "../../lib/db/generated/enums.ts";
import { abandonHeldCalls } from "../../lib/held-calls/abandon-held-calls.ts";
import { cancelHeldCall } from "../../lib/held-calls/cancel-held-call.ts";
import { createHeldCall } from "../../lib/held-calls/create-held-call.ts";
import { expireHeldCalls } from "../../lib/held-calls/expire-held-calls.ts";
import { postHeldCallWebhook } from "../../lib/held-calls/webhook.ts";
import type { MatchedRule } from "../../lib/policy/index.ts";
import type { Logger } from "../log.ts";

// The hold step of the pipeline: a require-approval call waits here — recorded, not forwarded —
// until its HeldCall row leaves PENDING. Decisions arrive over NOTIFY (the grant watcher calls
// `changed`), with a poll as the fallback; the deadline, the client and the session can end the
// wait too. One HeldCalls per gateway process; the session does the JSON-RPC side. What a previous
// run or a lost gateway instance held is abandoned by gateway/instance.ts. The approved call is
// forwarded from the message held in memory: the row's arguments are dropped at the decision.

export interface HoldSettings {
  /** This process's id on the rows it holds (GATEWAY_INSTANCE_ID, or random per start). */
  instanceId: string;
  /** A rule without holdMinutes holds this long. */
  defaultHoldMs: number;
  /** No hold lasts longer (GATEWAY_MAX_HOLD_MINUTES). */
  maxHoldMs: number;
  /** Re-read the row this often, in case a NOTIFY was missed. */
  pollMs: number;
  /** Send the client a progress notification this often (when it gave a progress token). */
  progressMs: number;
  /** Announce new held calls on a Slack-compatible incoming webhook. */
  webhook: { url: string; portalUrl: string; timeoutMs: number } | null;
}

/** Why the gateway stopped waiting, other than the row being decided or expiring. */
export type HoldEnd =
  | { kind: "client-cancelled" }
  | { kind: "stream-closed" }
  /** The session ended: grant revoked or expired, DELETE, upstream gone, gateway shutting down (`abandon`). */
  | { kind: "session-ended"; reason: string; abandon: boolean };

/** What the gateway knows of a held call once it stops waiting. */
export interface HeldCallState {
  id: string;
  status: HeldCallStatus;
  scope: HeldCallScope | null;
  sessionId: string;
  userId: string;
  connectionId: string;
  method: string;
  tool: string | null;
  argumentsHash: string;
  comment: string | null;
  endReason: string | null;
  deadline: Date;
  decidedBy: { email: string } | null;
}

export interface HoldOutcome {
  /** The row as last read; null when it was never created or could not be read. */
  call: HeldCallState | null;
  /** Set when the client or the session ended the wait (the row is then CANCELLED or ABANDONED). */
  ended?: HoldEnd;
  /** The deadline passed (the row is EXPIRED, or will be by the sweep if the database was unreachable). */
  timedOut?: boolean;
  /** How long the hold could last, for messages. */
  holdMs: number;
}

export interface HoldRequest {
  callerId: string;
  sessionId: string;
  connectionId: string;
  rpcId: RequestId;
  method: string;
  tool: string | null;
  /** The params exactly as the client sent them. */
  arguments: unknown;
  argumentsHash: string;
  rule: MatchedRule;
}

const stateSelect = {
  id: true,
  status: true,
  scope: true,
  sessionId: true,
  userId: true,
  connectionId: true,
  method: true,
  tool: true,
  argumentsHash: true,
  comment: true,
  endReason: true,
  deadline: true,
  decidedBy: { select: { email: true } },
} as const;

export class HeldCalls {
  /** Held call id → wake the waiter (re-read the row). */
  private readonly waiters = new Map<string, () => void>();

  constructor(private readonly options: { db: Db; log: Logger; settings: HoldSettings }) {}

  get instanceId(): string {
    return this.options.settings.instanceId;
  }

  /** Calls this process is holding right now. */
  get size(): number {
    return this.waiters.size;
  }

  /** NOTIFY: this held call changed (decided, expired, cancelled, abandoned). */
  changed(heldCallId: string): void {
    this.waiters.get(heldCallId)?.();
  }

  /** The listener reconnected and may have missed notifications: re-read every held call. */
  changedAll(): void {
    for (const wake of this.waiters.values()) wake();
  }

  /** How long a call matched by `rule` is held: its holdMinutes (or the default), capped by the maximum. */
  holdMs(rule: MatchedRule): number {
    const { defaultHoldMs, maxHoldMs } = this.options.settings;
    return Math.min(rule.holdMinutes !== undefined ? rule.holdMinutes * 60_000 : defaultHoldMs, maxHoldMs);
  }

  /** Sweeps pending calls past their deadline (whoever held them). */
  expireOverdue(): Promise<string[]> {
    return expireHeldCalls(this.options.db);
  }

  /**
   * Creates the held call and waits until it is decided, expires, or `signal` aborts with a
   * HoldEnd. Throws only if the row cannot be created (nothing is held then). `onProgress` is
   * called once the row exists and then every `progressMs`.
   */
  async hold(
    request: HoldRequest,
    signal: AbortSignal,
    onProgress?: (progress: { heldCallId: string; elapsedMs: number; holdMs: number }) => void,
  ): Promise<HoldOutcome> {
    const { db, log, settings } = this.options;
    const holdMs = this.holdMs(request.rule);
    if (signal.aborted) return { call: null, ended: signal.reason as HoldEnd, holdMs };
    const startedAt = Date.now();
    const created = await createHeldCall(db, {
      callerId: request.callerId,
      sessionId: request.sessionId,
      connectionId: request.connectionId,
      rpcId: request.rpcId,
      method: request.method,
      tool: request.tool,
      arguments: request.arguments,
      argumentsHash: request.argumentsHash,
      rule: { id: request.rule.id, description: request.rule.description, scope: request.rule.scope },
      deadline: new Date(startedAt + holdMs),
      gatewayInstance: settings.instanceId,
    });
    const id = created.id;
    log.info("call held for approval", { heldCall: id, rule: request.rule.id, tool: request.tool, holdMs });
    if (settings.webhook) {
      const webhook = settings.webhook;
      void postHeldCallWebhook(
        {
          id,
          callerEmail: created.user.email,
          connection: created.connection,
          method: created.method,
          tool: created.tool,
          rule: { id: created.ruleId, description: created.ruleDescription },
          deadline: created.deadline,
        },
        webhook,
      ).then((failure) => {
        if (failure) log.warn("held call webhook failed", { heldCall: id, error: failure });
      });
    }
    const read = () => db.heldCall.findUnique({ where: { id }, select: stateSelect });

    return new Promise<HoldOutcome>((resolve) => {
      let settled = false;
      /** The client or the session ended the wait: the outcome says so, whatever the row says meanwhile. */
      let aborting = false;
      let checking = false;
      let again = false;
      const progress = () => onProgress?.({ heldCallId: id, elapsedMs: Date.now() - startedAt, holdMs });
      const finish = (outcome: Omit<HoldOutcome, "holdMs">) => {
        if (settled) return;
        settled = true;
        clearInterval(pollTimer);
        clearInterval(progressTimer);
        clearTimeout(deadlineTimer);
        signal.removeEventListener("abort", abortListener);
        if (this.waiters.get(id) === check) this.waiters.delete(id);
        resolve({ ...outcome, holdMs });
      };
      // Re-reads the row; a wake-up during a read reads again afterwards.
      const check = (): void => {
        if (settled || aborting) return;
        if (checking) {
          again = true;
          return;
        }
        checking = true;
        void (async () => {
          try {
            do {
              again = false;
              const call = await read();
              if (aborting) return;
              if (!call) return finish({ call: null, ended: { kind: "session-ended", reason: "held call deleted", abandon: false } });
              if (call.status !== "PENDING") return finish({ call, timedOut: call.status === "EXPIRED" });
            } while (again && !settled);
          } catch (error) {
            log.warn("could not read held call", { heldCall: id, error: (error as Error).message });
          } finally {
            checking = false;
          }
        })();
      };
      const onDeadline = async () => {
        if (settled || aborting) return;
        try {
          await expireHeldCalls(db, { heldCallId: id });
        } catch (error) {
          log.warn("could not expire held call", { heldCall: id, error: (error as Error).message });
        }
        // A decision may have won the race; otherwise the client gets its timeout now, whatever
        // the database says (the sweep expires the row later if it could not be written).
        const call = await read().catch(() => null);
        if (aborting) return;
        if (call && call.status !== "PENDING") return finish({ call, timedOut: call.status === "EXPIRED" });
        finish({ call, timedOut: true });
      };
      const onAbort = async () => {
        if (settled || aborting) return;
        aborting = true;
        const end = signal.reason as HoldEnd;
        const reason =
          end.kind === "client-cancelled"
            ? "the client cancelled it"
            : end.kind === "stream-closed"
              ? "the client closed its stream"
              : end.reason;
        try {
          const changed =
            end.kind === "session-ended" && end.abandon
              ? (await abandonHeldCalls(db, { gatewayInstance: settings.instanceId, heldCallIds: [id], reason })).length > 0
              : await cancelHeldCall(db, { heldCallId: id, reason });
          // A decision that arrived meanwhile is moot: the call is not forwarded without its client.
          if (!changed) {
            await db.heldCall.updateMany({
              where: { id, status: "APPROVED", endReason: null },
              data: { endReason: `approved, but not forwarded: ${reason}` },
            });
          }
        } catch (error) {
          log.warn("could not cancel held call", { heldCall: id, error: (error as Error).message });
        }
        finish({ call: await read().catch(() => null), ended: end });
      };
      this.waiters.set(id, check);
      const pollTimer = setInterval(check, settings.pollMs);
      const progressTimer = setInterval(progress, settings.progressMs);
      const deadlineTimer = setTimeout(() => void onDeadline(), Math.max(0, holdMs - (Date.now() - startedAt)));
      pollTimer.unref();
      progressTimer.unref();
      deadlineTimer.unref();
      const abortListener = () => void onAbort();
      signal.addEventListener("abort", abortListener, { once: true });
      if (signal.aborted) void onAbort();
      progress();
      // Decided before we started listening for it?
      check();
    });
  }
}
