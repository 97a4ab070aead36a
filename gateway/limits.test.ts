import { describe, expect, it } from "vitest";
import { GatewayError } from "./errors.ts";
import { SessionLimits } from "./limits.ts";

const refusal = (fn: () => unknown): GatewayError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
};

describe("SessionLimits", () => {
  it("caps sessions per grant, naming the limit, its value and what to do", () => {
    const limits = new SessionLimits({ maxSessionsPerGrant: 2, maxSessionsPerUser: 10, maxSessions: 10, maxStdioChildren: 10 });
    const a = limits.reserve({ grantId: "g1", userId: "u1", stdio: false });
    limits.reserve({ grantId: "g1", userId: "u1", stdio: false });
    const error = refusal(() => limits.reserve({ grantId: "g1", userId: "u1", stdio: false }));
    expect([error.kind, error.status, error.code]).toEqual(["LIMIT_REACHED", 429, -32007]);
    expect(error.data).toEqual({ limit: "sessions-per-grant", max: 2 });
    expect(error.message).toMatch(/already has 2 open sessions; end one of them .*DELETE.* or wait for idle ones to close/);
    expect(error.message).toContain("GATEWAY_MAX_SESSIONS_PER_GRANT=2");
    // Another grant of the same user is not affected; a released slot can be taken again, once.
    limits.reserve({ grantId: "g2", userId: "u1", stdio: false });
    a.release();
    a.release();
    limits.reserve({ grantId: "g1", userId: "u1", stdio: false });
    expect(() => limits.reserve({ grantId: "g1", userId: "u1", stdio: false })).toThrow(/already has 2/);
    expect(limits.usage.sessions).toBe(3);
  });

  it("caps sessions per user across grants, per gateway, and stdio children", () => {
    const limits = new SessionLimits({ maxSessionsPerGrant: 10, maxSessionsPerUser: 2, maxSessions: 3, maxStdioChildren: 1 });
    limits.reserve({ grantId: "g1", userId: "u1", stdio: true });
    limits.reserve({ grantId: "g2", userId: "u1", stdio: false });
    expect(refusal(() => limits.reserve({ grantId: "g3", userId: "u1", stdio: false })).data).toEqual({
      limit: "sessions-per-user",
      max: 2,
    });
    expect(refusal(() => limits.reserve({ grantId: "g4", userId: "u2", stdio: true })).data).toEqual({ limit: "stdio-children", max: 1 });
    limits.reserve({ grantId: "g4", userId: "u2", stdio: false });
    const full = refusal(() => limits.reserve({ grantId: "g5", userId: "u3", stdio: false }));
    expect(full.data).toEqual({ limit: "sessions", max: 3 });
    expect(full.message).toContain("GATEWAY_MAX_SESSIONS=3");
    expect(limits.usage).toEqual({ sessions: 3, stdioChildren: 1 });
  });
});
