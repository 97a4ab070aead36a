import { describe, expect, it } from "vitest";
import { createLogger, REDACTED } from "./log.ts";

function capture(options: { quiet?: boolean } = {}) {
  const lines: string[] = [];
  const log = createLogger({ ...options, sink: (line) => lines.push(line) });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { log, lines, parsed };
}

describe("gateway logger", () => {
  it("writes one JSON object per line with time, a level label, component and message", () => {
    const { log, lines, parsed } = capture();
    log.info("session started", { session: "s1" });
    log.warn("upstream error", { error: "boom" });
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => !line.includes("\n"))).toBe(true);
    const [info, warn] = parsed();
    expect(info).toMatchObject({ level: "info", component: "gateway", message: "session started", session: "s1" });
    expect(new Date(info?.time as string).toISOString()).toBe(info?.time);
    expect(warn).toMatchObject({ level: "warn", message: "upstream error", error: "boom" });
  });

  it("quiet drops info lines but keeps warnings and errors", () => {
    const { log, parsed } = capture({ quiet: true });
    log.info("chatty");
    log.error("broken");
    expect(parsed().map((line) => line.level)).toEqual(["error"]);
  });

  it("child loggers add their bindings to every line", () => {
    const { log, parsed } = capture();
    log.child({ session: "s1", connection: "everything", user: "alice@example.com" }).info("session closed", { reason: "idle timeout" });
    expect(parsed()[0]).toMatchObject({
      session: "s1",
      connection: "everything",
      user: "alice@example.com",
      reason: "idle timeout",
      message: "session closed",
    });
  });

  it("redacts authorization headers, credentials, tokens and environment values, at the top level and nested", () => {
    const { log, lines, parsed } = capture();
    log.info("request", {
      authorization: "Bearer top-secret-1",
      credential: "top-secret-2",
      headers: { authorization: "Bearer top-secret-3", cookie: "sid=top-secret-4", "set-cookie": "sid=top-secret-5", accept: "*/*" },
      upstream: { credential: { headers: { Authorization: "Bearer top-secret-6" } }, env: { API_KEY: "top-secret-7", PATH: "/usr/bin" } },
      req: { headers: { "x-api-key": "top-secret-8" } },
      token: "top-secret-9",
      password: "top-secret-10",
      secret: "top-secret-11",
      session: "s1",
    });
    log.child({ token: "top-secret-12", session: "s2" }).warn("bound");
    const text = lines.join("\n");
    expect(text).not.toContain("top-secret");
    const [line, bound] = parsed();
    expect(line).toMatchObject({
      authorization: REDACTED,
      credential: REDACTED,
      headers: { authorization: REDACTED, cookie: REDACTED, "set-cookie": REDACTED, accept: "*/*" },
      upstream: { credential: REDACTED, env: { API_KEY: REDACTED, PATH: REDACTED } },
      req: { headers: { "x-api-key": REDACTED } },
      token: REDACTED,
      password: REDACTED,
      secret: REDACTED,
      session: "s1",
    });
    expect(bound).toMatchObject({ token: REDACTED, session: "s2" });
  });
});
