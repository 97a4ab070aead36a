import { GatewayError } from "./errors.ts";

// Caps on what one gateway process holds open, so one requester cannot exhaust the host. A session
// takes its slots when it is being opened — synchronously, before anything is awaited, so a burst of
// concurrent initializes cannot all slip under a cap — and gives them back when it ends.

export interface SessionLimitValues {
  maxSessionsPerGrant: number;
  maxSessionsPerUser: number;
  maxSessions: number;
  maxStdioChildren: number;
}

/** What a refusal names as `error.data.limit`, with the environment variable that sets it. */
export const LIMITS = {
  "sessions-per-grant": "GATEWAY_MAX_SESSIONS_PER_GRANT",
  "sessions-per-user": "GATEWAY_MAX_SESSIONS_PER_USER",
  sessions: "GATEWAY_MAX_SESSIONS",
  "stdio-children": "GATEWAY_MAX_STDIO_CHILDREN",
  connections: "GATEWAY_MAX_CONNECTIONS",
} as const;
export type LimitName = keyof typeof LIMITS;

export function limitReached(limit: LimitName, max: number, message: string): GatewayError {
  return new GatewayError("LIMIT_REACHED", `${message} (${LIMITS[limit]}=${max}).`, { limit, max });
}

/** A session's hold on its slots; `release` is idempotent. */
export interface SessionSlot {
  release(): void;
}

function bump(counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}

export class SessionLimits {
  private readonly byGrant = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  private total = 0;
  private stdio = 0;

  constructor(readonly values: SessionLimitValues) {}

  /**
   * Takes a slot for a new session, or throws `LIMIT_REACHED` naming the first cap that is full.
   * Per grant and per user are checked first: they are the ones the caller can do something about.
   */
  reserve(session: { grantId: string; userId: string; stdio: boolean }): SessionSlot {
    const { maxSessionsPerGrant, maxSessionsPerUser, maxSessions, maxStdioChildren } = this.values;
    const endOne = "end one of them (an MCP client does so with DELETE, or by closing its connection) or wait for idle ones to close";
    if ((this.byGrant.get(session.grantId) ?? 0) >= maxSessionsPerGrant) {
      throw limitReached(
        "sessions-per-grant",
        maxSessionsPerGrant,
        `This grant already has ${maxSessionsPerGrant} open sessions; ${endOne}`,
      );
    }
    if ((this.byUser.get(session.userId) ?? 0) >= maxSessionsPerUser) {
      throw limitReached("sessions-per-user", maxSessionsPerUser, `You already have ${maxSessionsPerUser} open sessions; ${endOne}`);
    }
    if (this.total >= maxSessions) {
      throw limitReached(
        "sessions",
        maxSessions,
        `This gateway already holds ${maxSessions} open sessions, its limit; try again in a minute or use another gateway replica`,
      );
    }
    if (session.stdio && this.stdio >= maxStdioChildren) {
      throw limitReached(
        "stdio-children",
        maxStdioChildren,
        `This gateway already runs ${maxStdioChildren} stdio MCP server processes, its limit; end a session you no longer need or try again in a minute`,
      );
    }
    bump(this.byGrant, session.grantId, 1);
    bump(this.byUser, session.userId, 1);
    this.total += 1;
    if (session.stdio) this.stdio += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        bump(this.byGrant, session.grantId, -1);
        bump(this.byUser, session.userId, -1);
        this.total -= 1;
        if (session.stdio) this.stdio -= 1;
      },
    };
  }

  /** Slots taken now (for tests and diagnostics). */
  get usage(): { sessions: number; stdioChildren: number } {
    return { sessions: this.total, stdioChildren: this.stdio };
  }
}
