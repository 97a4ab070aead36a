import { describe, expect, it } from "vitest";
import { createPortalLogger, errorFields, scrubTokens } from "../app/_lib/log.ts";

// The portal's error log (app/_lib/log.ts): the gateway's JSON line format and key redaction, and
// no token in an error's message or stack.

describe("the portal log", () => {
  it("writes one JSON line with component portal, and redacts secret-named keys as the gateway does", () => {
    const lines: string[] = [];
    const logger = createPortalLogger({ sink: (line) => lines.push(line) });
    logger.error("Unhandled API error", { headers: { authorization: "Bearer tg_abcdefgh12345678" }, token: "tgg_secret123456" });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: "error", component: "portal", message: "Unhandled API error", token: "[REDACTED]" });
    expect(lines[0]).not.toContain("tg_abcdefgh12345678");
    expect(lines[0]).not.toContain("tgg_secret123456");
  });

  it("an error's message and stack keep no token, bearer credential or OAuth refresh token", () => {
    const error = new Error(
      'Invalid `db.apiToken.findUnique()` invocation: where { hash: "x", token: "tg_AbCdEf0123456789" } Bearer eyJhbGci.x.y tgr_refresh0123456',
    );
    const fields = errorFields(error);
    const text = JSON.stringify(fields);
    for (const secret of ["tg_AbCdEf0123456789", "eyJhbGci", "tgr_refresh0123456"]) expect(text).not.toContain(secret);
    expect(fields).toMatchObject({ name: "Error", message: expect.stringContaining("[REDACTED]") });
    expect(scrubTokens("no secrets here: tg_x")).toBe("no secrets here: tg_x");
  });
});
