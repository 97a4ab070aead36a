import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type CliIo, errorMessage, formatResult, main, parseCommand, table, UsageError } from "./cli.ts";

function call(argv: string[]) {
  const parsed = parseCommand(argv);
  if (parsed.kind !== "call") throw new Error("expected a call");
  return parsed;
}

describe("policy commands", () => {
  const files: Record<string, string> = {
    "p.json": JSON.stringify({ default: "deny", rules: [] }),
    "m.json": JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }),
    "bad.json": "{not json",
  };
  const read = (file: string | undefined) => {
    const text = files[file ?? "stdin"];
    if (text === undefined) throw new Error("ENOENT");
    return text;
  };
  const parse = (argv: string[]) => {
    const parsed = parseCommand(argv, read);
    if (parsed.kind !== "call") throw new Error("expected a call");
    return parsed.call;
  };

  it("maps policy get/set/versions/preview to the policy routes, with bodies from files or stdin", () => {
    expect(parse(["policy", "get", "everything"])).toEqual({ method: "GET", path: "/api/v1/connections/everything/policy" });
    expect(parse(["policy", "get", "--global"])).toEqual({ method: "GET", path: "/api/v1/policy" });
    expect(parse(["policy", "versions", "everything"]).path).toBe("/api/v1/connections/everything/policy/versions");
    expect(parse(["policy", "set", "everything", "p.json"])).toEqual({
      method: "PUT",
      path: "/api/v1/connections/everything/policy",
      body: { default: "deny", rules: [] },
    });
    files.stdin = JSON.stringify({ default: "allow", rules: [] });
    expect(parse(["policy", "set", "--global"]).body).toEqual({ default: "allow", rules: [] });
    expect(parse(["policy", "preview", "--connection", "everything", "--request-method", "tools/list", "m.json"])).toEqual({
      method: "POST",
      path: "/api/v1/policy/preview",
      body: {
        message: { jsonrpc: "2.0", id: 1, result: {} },
        direction: "response",
        connection: "everything",
        requestMethod: "tools/list",
      },
    });
    expect(parse(["policy", "preview", "--direction", "request", "--policy", "p.json", "m.json"]).body).toMatchObject({
      direction: "request",
      policy: { default: "deny", rules: [] },
    });
  });

  it("says what is wrong with a policy command line", () => {
    expect(() => parseCommand(["policy"], read)).toThrow(/needs a subcommand/);
    expect(() => parseCommand(["policy", "get"], read)).toThrow(/needs a connection slug \(or --global/);
    expect(() => parseCommand(["policy", "get", "x", "--global"], read)).toThrow(/not both/);
    expect(() => parseCommand(["policy", "set", "x", "bad.json"], read)).toThrow(/is not JSON/);
    expect(() => parseCommand(["policy", "set", "x", "missing.json"], read)).toThrow(/cannot read the policy from missing.json/);
    expect(() => parseCommand(["policy", "preview", "--direction", "sideways", "m.json"], read)).toThrow(/--direction must be/);
  });

  it("prints a policy as a table of its rules and a preview as decision, counts and the masked message", () => {
    const policy = {
      scope: "connection",
      connection: "everything",
      version: 2,
      default: "allow",
      rules: [
        { id: "r-1", kind: "guardrail", description: "No drops", match: { name: "delete_*" }, action: "deny" },
        { id: "r-2", kind: "mask", detectors: ["email"], style: "redact" },
      ],
      updatedBy: "carol@example.com",
      updatedAt: "2026-11-22T10:00:00.000Z",
    };
    const text = formatResult("policy get", policy, false);
    expect(text).toContain("Policy of everything: version 2 by carol@example.com at 2026-11-22 10:00:00Z; default allow");
    expect(text).toMatch(/r-1\s+guardrail\s+deny\s+name delete_\*\s+No drops/);
    expect(text).toMatch(/r-2\s+mask\s+redact\s+detectors email/);
    const preview = {
      decision: "allow",
      rule: null,
      reason: null,
      forwarded: {},
      masked: { jsonrpc: "2.0", id: 1, result: { text: "[REDACTED:email]" } },
      findings: [],
      counts: { email: 1 },
      hidden: 0,
    };
    expect(formatResult("policy preview", preview, false)).toMatch(/^decision {2}allow\nmasked {4}email 1\n\{/);
  });
});

describe("parseCommand", () => {
  it("turns a request into POST /api/v1/access-requests with the body the API expects", () => {
    expect(call(["request", "everything", "--minutes", "15", "--reason", "x"])).toEqual({
      kind: "call",
      command: "request",
      json: false,
      call: { method: "POST", path: "/api/v1/access-requests", body: { connection: "everything", minutes: 15, reason: "x" } },
    });
    // Options may come before the positional, and in --name=value form.
    expect(call(["request", "--reason=incident 42", "-m", "5", "github"]).call.body).toEqual({
      connection: "github",
      minutes: 5,
      reason: "incident 42",
    });
  });

  it("says what is missing or wrong on the command line", () => {
    expect(() => parseCommand(["request", "everything", "--minutes", "15"])).toThrow(/request needs --reason/);
    expect(() => parseCommand(["request", "everything", "--reason", "x"])).toThrow(/request needs --minutes/);
    expect(() => parseCommand(["request", "--minutes", "15", "--reason", "x"])).toThrow(/request needs <slug>/);
    expect(() => parseCommand(["request", "everything", "--minutes", "soon", "--reason", "x"])).toThrow(/--minutes must be a whole number/);
    expect(() => parseCommand(["request", "everything", "--minutes", "0", "--reason", "x"])).toThrow(/at least 1/);
    expect(() => parseCommand(["request", "everything", "--minutes", "1.5", "--reason", "x"])).toThrow(/whole number/);
    expect(() => parseCommand(["request", "everything", "--minutes"])).toThrow(UsageError);
    expect(() => parseCommand(["grants", "--comment", "no"])).toThrow(/grants: .*comment/);
    expect(() => parseCommand(["token"])).toThrow(/token needs <grantId>/);
    expect(() => parseCommand(["token", "a", "b"])).toThrow(/takes 1 argument/);
    expect(() => parseCommand(["connections", "extra"])).toThrow(/takes no arguments/);
    expect(() => parseCommand(["requests", "--pending", "--all"])).toThrow(/not both/);
    expect(() => parseCommand(["frobnicate"])).toThrow(/Unknown command "frobnicate"/);
    expect(() => parseCommand(["events", "s1", "--after", "-1"])).toThrow(UsageError);
    expect(() => parseCommand(["events", "s1", "--after", "x"])).toThrow(/--after must be a whole number/);
  });

  it("maps every command to its route", () => {
    const routes = (argv: string[]) => {
      const { call: c } = call(argv);
      return `${c.method} ${c.path}${c.body ? ` ${JSON.stringify(c.body)}` : ""}`;
    };
    expect(routes(["whoami"])).toBe("GET /api/v1/me");
    expect(routes(["connections"])).toBe("GET /api/v1/connections");
    expect(routes(["requests"])).toBe("GET /api/v1/access-requests?scope=mine");
    expect(routes(["requests", "--pending"])).toBe("GET /api/v1/access-requests?scope=pending");
    expect(routes(["requests", "--all"])).toBe("GET /api/v1/access-requests?scope=all");
    expect(routes(["approve", "r1"])).toBe("POST /api/v1/access-requests/r1/approve {}");
    expect(routes(["approve", "r1", "--comment", "ok"])).toBe('POST /api/v1/access-requests/r1/approve {"comment":"ok"}');
    expect(routes(["cancel", "r1"])).toBe("POST /api/v1/access-requests/r1/cancel {}");
    expect(routes(["tokens", "g1"])).toBe("GET /api/v1/grants/g1/tokens");
    expect(routes(["revoke-token", "t1"])).toBe("POST /api/v1/gateway-tokens/t1/revoke {}");
    expect(routes(["audit", "--action", "grant."])).toBe("GET /api/v1/audit-events?action=grant.");
    expect(routes(["verify-audit"])).toBe("GET /api/v1/audit-events/verify");
    expect(routes(["audit", "verify"])).toBe("GET /api/v1/audit-events/verify");
    expect(routes(["session", "verify", "s1"])).toBe("GET /api/v1/sessions/s1/verify");
    expect(routes(["deny", "r1", "-c", "no"])).toBe('POST /api/v1/access-requests/r1/deny {"comment":"no"}');
    expect(routes(["grants"])).toBe("GET /api/v1/grants?scope=mine");
    expect(routes(["grants", "--all", "--active"])).toBe("GET /api/v1/grants?scope=all&active=1");
    expect(routes(["token", "g1"])).toBe("POST /api/v1/grants/g1/tokens");
    expect(routes(["revoke", "g1"])).toBe("POST /api/v1/grants/g1/revoke {}");
    expect(routes(["revoke", "g1", "--reason", "done"])).toBe('POST /api/v1/grants/g1/revoke {"reason":"done"}');
    expect(routes(["sessions"])).toBe("GET /api/v1/sessions");
    expect(routes(["sessions", "--tool", "echo", "--status", "live", "-q", "50% off", "--cursor", "c1"])).toBe(
      "GET /api/v1/sessions?tool=echo&status=live&cursor=c1&q=50%25+off",
    );
    expect(routes(["events", "s1"])).toBe("GET /api/v1/sessions/s1/events");
    expect(routes(["events", "s1", "--after", "42"])).toBe("GET /api/v1/sessions/s1/events?after=42");
    // Ids cannot escape their path segment.
    expect(routes(["token", "../me"])).toBe("POST /api/v1/grants/..%2Fme/tokens");
  });

  it("knows --json and help", () => {
    expect(call(["grants", "--json"]).json).toBe(true);
    expect(parseCommand([])).toEqual({ kind: "help" });
    expect(parseCommand(["help"])).toEqual({ kind: "help" });
    expect(parseCommand(["--help"])).toEqual({ kind: "help" });
    expect(parseCommand(["request", "--help"])).toEqual({ kind: "help" });
  });
});

describe("formatting", () => {
  it("prints compact tables, and (none) for empty lists", () => {
    expect(
      table(
        ["ID", "NAME"],
        [
          ["a", "Alpha"],
          ["bbbb", "B"],
        ],
      ),
    ).toBe("ID    NAME\na     Alpha\nbbbb  B");
    expect(formatResult("grants", [], false)).toBe("(none)");
  });

  it("prints only the token for `token`, and the raw JSON with --json", () => {
    const minted = {
      token: "tgg_secret",
      prefix: "tgg_secr",
      grantId: "g1",
      connection: "everything",
      expiresAt: "2030-01-01T00:00:00.000Z",
    };
    expect(formatResult("token", minted, false)).toBe("tgg_secret");
    expect(JSON.parse(formatResult("token", minted, true))).toEqual(minted);
  });

  it("uses the API's error message", () => {
    expect(
      errorMessage(403, { error: { code: "FORBIDDEN", message: "You cannot approve or deny your own access request." } }, "Forbidden"),
    ).toBe("You cannot approve or deny your own access request.");
    expect(errorMessage(502, undefined, "Bad Gateway")).toBe("HTTP 502 Bad Gateway");
  });
});

describe("main", () => {
  function io(env: Record<string, string | undefined>, respond: (url: string, init: RequestInit) => Response) {
    const out: string[] = [];
    const err: string[] = [];
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const fake: CliIo = {
      env,
      fetch: (async (input: string | URL | Request, init?: RequestInit) => {
        const url = String(input);
        requests.push({ url, init: init ?? {} });
        return respond(url, init ?? {});
      }) as typeof fetch,
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
    };
    return { fake, out, err, requests };
  }

  it("requires TOLLGATE_TOKEN, but not for help", async () => {
    const t = io({}, () => Response.json({}));
    expect(await main(["connections"], t.fake)).toBe(1);
    expect(t.err.join("")).toMatch(/TOLLGATE_TOKEN is not set/);
    expect(t.requests).toHaveLength(0);
    expect(await main(["help"], t.fake)).toBe(0);
    expect(t.out.join("")).toMatch(/Usage: tollgate/);
  });

  it("sends the bearer token and JSON body to TOLLGATE_URL, and prints only the token", async () => {
    const t = io({ TOLLGATE_TOKEN: "tg_abc", TOLLGATE_URL: "https://tollgate.example.com/" }, () =>
      Response.json(
        { token: "tgg_xyz", prefix: "tgg_xy", grantId: "g1", connection: "everything", expiresAt: "2030-01-01T00:00:00.000Z" },
        { status: 201 },
      ),
    );
    expect(await main(["token", "g1"], t.fake)).toBe(0);
    expect(t.out.join("")).toBe("tgg_xyz\n");
    expect(t.requests[0]!.url).toBe("https://tollgate.example.com/api/v1/grants/g1/tokens");
    expect(t.requests[0]!.init.method).toBe("POST");
    expect((t.requests[0]!.init.headers as Record<string, string>).Authorization).toBe("Bearer tg_abc");
  });

  it("prints a verification's verdict and exits 1 when it found tampering", async () => {
    const bad = io({ TOLLGATE_TOKEN: "tg_abc" }, () =>
      Response.json({
        ok: false,
        events: 2,
        firstBad: { seq: 2, problem: "missing" },
        headChecked: true,
        checkedAt: "2030-01-01T00:00:00.000Z",
      }),
    );
    expect(await main(["session", "verify", "s1"], bad.fake)).toBe(1);
    expect(bad.out.join("")).toBe("Recording MISSING at event #2 (2 events read)\n");
    const good = io({ TOLLGATE_TOKEN: "tg_abc" }, () => Response.json({ ok: true, events: 7 }));
    expect(await main(["audit", "verify"], good.fake)).toBe(0);
    expect(await main(["verify-audit"], good.fake)).toBe(0);
    expect(good.out.join("")).toBe("Audit chain intact: 7 events verified\n".repeat(2));
    const broken = io({ TOLLGATE_TOKEN: "tg_abc" }, () =>
      Response.json({ ok: false, events: 9, brokenAt: "12", reason: "content does not match its hash" }),
    );
    expect(await main(["audit", "verify"], broken.fake)).toBe(1);
    expect(broken.out.join("")).toBe("Audit chain BROKEN at event 12: content does not match its hash\n");
  });

  it("verifies a purged session by its signed summary, and fails an edited one", async () => {
    const summary = { events: 41, firstSeq: 1, lastSeq: 41, lastHash: "ab".repeat(32) };
    const purged = { at: "2030-01-01T00:00:00.000Z", signatureValid: true, headMatches: true, summary };
    const good = io({ TOLLGATE_TOKEN: "tg_abc" }, () => Response.json({ ok: true, events: 0, headChecked: true, purged }));
    expect(await main(["session", "verify", "s1"], good.fake)).toBe(0);
    expect(good.out.join("")).toBe(
      `Purged recording (events deleted by retention at 2030-01-01 00:00:00Z): signed summary verified — 41 events (#1–#41), chain head ${"ab".repeat(32)}\n`,
    );
    const edited = io({ TOLLGATE_TOKEN: "tg_abc" }, () =>
      Response.json({
        ok: false,
        events: 0,
        firstBad: { seq: 0, problem: "summary-invalid" },
        headChecked: true,
        purged: { ...purged, signatureValid: false, reason: "the summary does not match its signature: it was edited" },
      }),
    );
    expect(await main(["session", "verify", "s1"], edited.fake)).toBe(1);
    expect(edited.out.join("")).toBe("Purged recording: summary INVALID — the summary does not match its signature: it was edited\n");
  });

  it("session export streams the file to stdout, or to -o FILE, as it arrives", async () => {
    const jsonl = '{"seq":1,"message":{"b":1,"a":2}}\n{"seq":2,"message":{}}\n';
    const chunks = [jsonl.slice(0, 10), jsonl.slice(10)];
    const respond = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
            controller.close();
          },
        }),
        { headers: { "content-type": "application/x-ndjson" } },
      );
    const t = io({ TOLLGATE_TOKEN: "tg_abc" }, respond);
    expect(await main(["session", "export", "s1"], t.fake)).toBe(0);
    expect(t.out.join("")).toBe(jsonl);
    expect(t.requests[0]!.url).toBe("http://localhost:3000/api/v1/sessions/s1/export?format=jsonl");

    const dir = mkdtempSync(path.join(tmpdir(), "tollgate-cli-"));
    const file = path.join(dir, "out.txt");
    const f = io({ TOLLGATE_TOKEN: "tg_abc" }, respond);
    expect(await main(["session", "export", "s1", "--format", "transcript", "-o", file], f.fake)).toBe(0);
    expect(readFileSync(file, "utf8")).toBe(jsonl);
    expect(f.out).toEqual([]);
    expect(f.err.join("")).toBe(`Wrote ${Buffer.byteLength(jsonl)} bytes to ${file}\n`);
    expect(f.requests[0]!.url).toMatch(/\/export\?format=transcript$/);
    rmSync(dir, { recursive: true, force: true });

    const missing = io({ TOLLGATE_TOKEN: "tg_abc" }, () =>
      Response.json({ error: { code: "NOT_FOUND", message: "No session s2." } }, { status: 404 }),
    );
    expect(await main(["session", "export", "s2"], missing.fake)).toBe(1);
    expect(missing.err.join("")).toBe("tollgate: No session s2.\n");
    expect(() => parseCommand(["session", "export", "s1", "--format", "pdf"])).toThrow(/--format must be jsonl or transcript/);
    expect(() => parseCommand(["session", "export"])).toThrow(/needs <sessionId>/);
  });

  it("prints the API's error message to stderr and exits 1", async () => {
    const t = io({ TOLLGATE_TOKEN: "tg_abc" }, () =>
      Response.json(
        { error: { code: "BAD_REQUEST", message: "minutes must be at most 60 for Everything.", field: "minutes" } },
        { status: 400 },
      ),
    );
    expect(await main(["request", "everything", "--minutes", "90", "--reason", "long one"], t.fake)).toBe(1);
    expect(t.err.join("")).toBe("tollgate: minutes must be at most 60 for Everything.\n");
    expect(t.out).toHaveLength(0);
    expect(t.requests[0]!.url).toBe("http://localhost:3000/api/v1/access-requests");
    expect(JSON.parse(String(t.requests[0]!.init.body))).toEqual({ connection: "everything", minutes: 90, reason: "long one" });
  });

  it("reports usage errors and unreachable portals without a stack trace", async () => {
    const t = io({ TOLLGATE_TOKEN: "tg_abc" }, () => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:3000") });
    });
    expect(await main(["request", "everything", "--minutes", "5"], t.fake)).toBe(1);
    expect(t.err.join("")).toMatch(/request needs --reason/);
    expect(await main(["sessions"], t.fake)).toBe(1);
    expect(t.err.join("")).toMatch(/cannot reach Tollgate at http:\/\/localhost:3000 \(connect ECONNREFUSED/);
  });
});

describe("held call commands", () => {
  it("maps held, approve-call and deny-call to the held-call routes", () => {
    expect(call(["held"]).call).toEqual({ method: "GET", path: "/api/v1/held-calls?scope=all" });
    expect(call(["held", "--pending", "--mine"]).call.path).toBe("/api/v1/held-calls?scope=mine&status=PENDING");
    expect(call(["held", "--status", "expired"]).call.path).toBe("/api/v1/held-calls?scope=all&status=EXPIRED");
    expect(call(["approve-call", "hc1", "--comment", "ok", "--session"]).call).toEqual({
      method: "POST",
      path: "/api/v1/held-calls/hc1/approve",
      body: { comment: "ok", scope: "session" },
    });
    expect(call(["approve-call", "hc/1"]).call).toEqual({ method: "POST", path: "/api/v1/held-calls/hc%2F1/approve", body: {} });
    expect(call(["deny-call", "hc1", "-c", "no"]).call).toEqual({
      method: "POST",
      path: "/api/v1/held-calls/hc1/deny",
      body: { comment: "no" },
    });
  });

  it("says what is wrong with a held call command line", () => {
    expect(() => parseCommand(["held", "--status", "WAITING"])).toThrow(/--status must be one of PENDING, APPROVED/);
    expect(() => parseCommand(["held", "--pending", "--status", "DENIED"])).toThrow(/not both/);
    expect(() => parseCommand(["approve-call"])).toThrow(/approve-call needs <heldCallId>/);
    expect(() => parseCommand(["deny-call", "hc1", "--session"])).toThrow(/deny-call: .*session/);
  });

  it("prints held calls as a table with the time left, and a decision with its details", () => {
    const view = {
      id: "hc1",
      status: "PENDING",
      caller: { id: "u1", email: "alice@example.com", name: null },
      connection: { slug: "db", name: "Database" },
      sessionId: "s1",
      rpcId: "3",
      method: "tools/call",
      tool: "run_sql",
      arguments: { name: "run_sql", arguments: { sql: "delete from carts", notify: "[REDACTED:email]" } },
      argumentsHash: "ab".repeat(32),
      rule: { id: "ask-sql", description: "SQL needs a human", scope: "connection" },
      scope: null,
      createdAt: "2026-11-22T10:00:00.000Z",
      deadline: new Date(Date.now() + 245_500).toISOString(),
      decidedAt: null,
      decidedBy: null,
      comment: null,
      endReason: null,
    };
    expect(formatResult("held", [view], false)).toMatch(/hc1\s+PENDING\s+db\s+run_sql\s+alice@example\.com\s+ask-sql\s+4m 0[56]s left/);
    const approved = {
      ...view,
      status: "APPROVED",
      scope: "session",
      decidedAt: "2026-11-22T10:01:00.000Z",
      decidedBy: { id: "u2", email: "bob@example.com", name: null },
      comment: "fine",
    };
    const text = formatResult("approve-call", approved, false);
    expect(text).toContain("Held call hc1: APPROVED (for the rest of the session)");
    expect(text).toContain("decided by  bob@example.com: fine");
    expect(text).toContain('"notify":"[REDACTED:email]"');
    expect(formatResult("held", [approved], false)).toContain("2026-11-22 10:01:00Z");
  });
});
