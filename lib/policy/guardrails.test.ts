import { describe, expect, it } from "vitest";
import { compileGuardrails, decide, type GuardrailRequest } from "./guardrails.ts";
import { type PolicyDocument, type PolicyDocumentInput, policyDocumentSchema } from "./schema.ts";

function doc(input: PolicyDocumentInput): PolicyDocument {
  return policyDocumentSchema.parse(input);
}

function call(name: string, args?: unknown): GuardrailRequest {
  return { method: "tools/call", params: args === undefined ? { name } : { name, arguments: args } };
}

const denyDelete = doc({
  rules: [{ id: "r-del", kind: "guardrail", description: "No deleting databases", match: { name: "delete_database" }, action: "deny" }],
});

describe("guardrails: matching", () => {
  it.each([
    "delete_database",
    "DELETE_database",
    "ｄｅｌｅｔｅ_database",
    "delete\u200B_database",
    "\u202Edelete_database",
    "Delete_Database\uFEFF",
  ])("a rule for delete_database denies the look-alike %j", (name) => {
    expect(decide(compileGuardrails(null, denyDelete), call(name)).action).toBe("deny");
  });

  it("normalizes the rule's glob too", () => {
    const g = compileGuardrails(doc({ rules: [{ kind: "guardrail", match: { name: "ＤＥＬＥＴＥ_*" }, action: "deny" }] }), null);
    expect(decide(g, call("delete_users")).action).toBe("deny");
  });

  it("matches the target name per method", () => {
    const g = compileGuardrails(
      doc({
        rules: [
          { id: "res", kind: "guardrail", match: { name: "file:///etc/*" }, action: "deny" },
          { id: "prompt", kind: "guardrail", match: { name: "admin_*" }, action: "require-approval" },
        ],
      }),
      null,
    );
    expect(decide(g, { method: "resources/read", params: { uri: "file:///etc/passwd" } }).rule?.id).toBe("res");
    expect(decide(g, { method: "resources/subscribe", params: { uri: "file:///ETC/shadow" } }).rule?.id).toBe("res");
    expect(decide(g, { method: "resources/unsubscribe", params: { uri: "file:///etc/x" } }).rule?.id).toBe("res");
    expect(decide(g, { method: "prompts/get", params: { name: "admin_reset" } }).action).toBe("require-approval");
    expect(decide(g, { method: "completion/complete", params: { ref: { type: "ref/prompt", name: "admin_reset" } } }).action).toBe(
      "require-approval",
    );
    expect(decide(g, { method: "completion/complete", params: { ref: { type: "ref/resource", uri: "file:///etc/hosts" } } }).rule?.id).toBe(
      "res",
    );
    expect(decide(g, { method: "tools/list" }).action).toBe("allow"); // no name: a name rule does not match
  });

  it("matches methods by exact name or glob on the raw method", () => {
    const g = compileGuardrails(doc({ rules: [{ kind: "guardrail", match: { method: "resources/*" }, action: "deny" }] }), null);
    expect(decide(g, { method: "resources/list" }).action).toBe("deny");
    expect(decide(g, { method: "resources/read", params: { uri: "x" } }).action).toBe("deny");
    expect(decide(g, { method: "RESOURCES/list" }).action).toBe("allow");
    expect(decide(g, call("x")).action).toBe("allow");
  });

  describe("argument matchers", () => {
    const g = compileGuardrails(
      doc({
        rules: [
          {
            id: "sql",
            kind: "guardrail",
            match: { name: "run_sql", arguments: [{ path: "$.query", regex: "(?i)\\b(drop|truncate)\\b" }] },
            action: "deny",
          },
          { id: "force", kind: "guardrail", match: { arguments: [{ path: "$.options.force", equals: true }] }, action: "require-approval" },
          { id: "prod", kind: "guardrail", match: { arguments: [{ path: "$.items[*].env", equals: "prod" }] }, action: "deny" },
          { id: "pw", kind: "guardrail", match: { arguments: [{ path: "$..password", exists: true }] }, action: "deny" },
          {
            id: "dry",
            kind: "guardrail",
            match: { name: "deploy", arguments: [{ path: "$.dryRun", exists: false }] },
            action: "require-approval",
          },
          {
            id: "obj",
            kind: "guardrail",
            match: { arguments: [{ path: "$.target", equals: { db: "main", schema: "public" } }] },
            action: "deny",
          },
          { id: "num", kind: "guardrail", match: { arguments: [{ path: "$.limit", regex: "^\\d{5,}$" }] }, action: "deny" },
        ],
      }),
      null,
    );
    it.each([
      [call("run_sql", { query: "select 1" }), "allow", undefined],
      [call("run_sql", { query: "DROP TABLE users" }), "deny", "sql"],
      [call("run_sql", { query: "backdrop" }), "allow", undefined], // \b: unanchored but word-bounded by the admin
      [call("other", { query: "drop table" }), "allow", undefined], // name condition fails
      [call("x", { options: { force: true } }), "require-approval", "force"],
      [call("x", { options: { force: "true" } }), "allow", undefined], // equals is typed JSON equality
      [call("x", { items: [{ env: "dev" }, { env: "prod" }] }), "deny", "prod"],
      [call("x", { items: [{ env: "dev" }] }), "allow", undefined],
      [call("x", { auth: { nested: { password: "x" } } }), "deny", "pw"],
      [call("deploy", { service: "api" }), "require-approval", "dry"],
      [call("deploy", { service: "api", dryRun: true }), "allow", undefined],
      [call("x", { target: { schema: "public", db: "main" } }), "deny", "obj"], // key order does not matter
      [call("x", { limit: 123456 }), "deny", "num"], // numbers are matched as text
      [call("x", { limit: 12 }), "allow", undefined],
      [{ method: "prompts/get", params: { name: "p", arguments: { password: "x" } } }, "deny", "pw"],
    ] as const)("%j → %s (%s)", (request, action, rule) => {
      const decision = decide(g, request);
      expect(decision.action).toBe(action);
      expect(decision.rule?.id).toBe(rule);
    });

    it("never matches argument rules on methods without arguments", () => {
      // `exists: false` would otherwise match everything that has no arguments at all.
      const only = compileGuardrails(
        doc({ rules: [{ kind: "guardrail", match: { arguments: [{ path: "$.x", exists: false }] }, action: "deny" }] }),
        null,
      );
      expect(decide(only, { method: "initialize", params: {} }).action).toBe("allow");
      expect(decide(only, { method: "resources/read", params: { uri: "a" } }).action).toBe("allow");
      expect(decide(only, call("t", {})).action).toBe("deny");
    });
  });
});

describe("guardrails: decision", () => {
  it("deny wins over require-approval and allow, in either policy", () => {
    const global = doc({ rules: [{ id: "g-allow", kind: "guardrail", match: { name: "*" }, action: "allow" }] });
    const connection = doc({
      rules: [
        { id: "c-hold", kind: "guardrail", match: { name: "drop_*" }, action: "require-approval" },
        { id: "c-deny", kind: "guardrail", match: { name: "drop_table" }, action: "deny" },
      ],
    });
    const g = compileGuardrails(global, connection);
    expect(decide(g, call("drop_table"))).toMatchObject({ action: "deny", rule: { id: "c-deny", scope: "connection" } });
    expect(decide(g, call("drop_index"))).toMatchObject({ action: "require-approval", rule: { id: "c-hold" } });
    expect(decide(g, call("select"))).toMatchObject({ action: "allow", rule: { id: "g-allow", scope: "global" } });
  });

  it("a connection cannot loosen a global deny (global deny rule + connection allow rule → deny)", () => {
    const global = doc({ rules: [{ id: "g-deny", kind: "guardrail", match: { name: "shell_*" }, action: "deny" }] });
    const connection = doc({ rules: [{ id: "c-allow", kind: "guardrail", match: { name: "shell_exec" }, action: "allow" }] });
    expect(decide(compileGuardrails(global, connection), call("shell_exec"))).toMatchObject({
      action: "deny",
      rule: { id: "g-deny", scope: "global" },
    });
  });

  it("reports the first deny rule, global rules first", () => {
    const global = doc({ rules: [{ id: "g1", kind: "guardrail", match: { name: "x" }, action: "deny" }] });
    const connection = doc({ rules: [{ id: "c1", kind: "guardrail", match: { name: "*" }, action: "deny" }] });
    expect(decide(compileGuardrails(global, connection), call("x")).rule?.id).toBe("g1");
  });

  it("reports holdMinutes of a require-approval rule", () => {
    const g = compileGuardrails(
      doc({ rules: [{ id: "h", kind: "guardrail", match: { name: "x" }, action: "require-approval", holdMinutes: 15 }] }),
      null,
    );
    expect(decide(g, call("x")).rule).toEqual({ id: "h", scope: "global", holdMinutes: 15 });
  });

  describe("defaults", () => {
    const denyByDefault = doc({ default: "deny", rules: [{ id: "ok", kind: "guardrail", match: { name: "read_*" }, action: "allow" }] });

    it("apply only to the use methods; initialize, ping, lists and notifications stay allowed", () => {
      const g = compileGuardrails(denyByDefault, null);
      for (const method of [
        "initialize",
        "ping",
        "tools/list",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
        "logging/setLevel",
        "notifications/initialized",
        "resources/unsubscribe",
      ]) {
        expect(decide(g, { method }).action, method).toBe("allow");
      }
      for (const request of [
        call("write_file"),
        { method: "resources/read", params: { uri: "file:///x" } },
        { method: "resources/subscribe", params: { uri: "file:///x" } },
        { method: "prompts/get", params: { name: "p" } },
        { method: "completion/complete", params: { ref: { type: "ref/prompt", name: "p" } } },
      ]) {
        expect(decide(g, request).action, request.method).toBe("deny");
      }
      expect(decide(g, call("read_file")).action).toBe("allow");
    });

    it("is deny if either the global or the connection default is deny", () => {
      const allow = doc({ default: "allow", rules: [] });
      const deny = doc({ default: "deny", rules: [] });
      expect(decide(compileGuardrails(allow, deny), call("x")).action).toBe("deny");
      expect(decide(compileGuardrails(deny, allow), call("x")).action).toBe("deny");
      expect(decide(compileGuardrails(allow, allow), call("x")).action).toBe("allow");
      expect(decide(compileGuardrails(null, null), call("x")).action).toBe("allow");
    });

    it("under a global deny default, connection allow rules name what may be used", () => {
      const connection = doc({ rules: [{ kind: "guardrail", match: { name: "search" }, action: "allow" }] });
      const g = compileGuardrails(doc({ default: "deny", rules: [] }), connection);
      expect(decide(g, call("search")).action).toBe("allow");
      expect(decide(g, call("delete")).action).toBe("deny");
    });

    it("a rule that explicitly matches a non-use method applies to it", () => {
      const g = compileGuardrails(doc({ rules: [{ kind: "guardrail", match: { method: "logging/setLevel" }, action: "deny" }] }), null);
      expect(decide(g, { method: "logging/setLevel", params: { level: "debug" } }).action).toBe("deny");
    });
  });

  describe("reasons", () => {
    it("name the rule by description and id and scope, never its patterns", () => {
      const connection = doc({
        rules: [
          {
            id: "r-1a2b3c4d",
            kind: "guardrail",
            description: "No destructive SQL",
            match: { name: "run_sql", arguments: [{ path: "$.query", regex: "(?i)drop\\s+table" }] },
            action: "deny",
          },
        ],
      });
      const decision = decide(compileGuardrails(null, connection), call("run_sql", { query: "DROP TABLE x" }));
      expect(decision.reason).toBe('Denied by policy rule "No destructive SQL" (r-1a2b3c4d, connection policy).');
      expect(decision.reason).not.toContain("drop\\s+table");
      expect(decision.reason).not.toContain("run_sql");
    });

    it("name the rule by id when it has no description", () => {
      const global = doc({ rules: [{ id: "r-9", kind: "guardrail", match: { name: "x" }, action: "require-approval" }] });
      expect(decide(compileGuardrails(global, null), call("x")).reason).toBe(
        "Needs an approver's decision under policy rule r-9 (global policy).",
      );
    });

    it("explain a default deny", () => {
      expect(decide(compileGuardrails(doc({ default: "deny", rules: [] }), null), call("x")).reason).toBe(
        "Denied by the default of the global policy: only tools an allow rule names may be called.",
      );
      expect(
        decide(compileGuardrails(null, doc({ default: "deny", rules: [] })), { method: "resources/read", params: { uri: "u" } }).reason,
      ).toBe("Denied by the default of the connection policy: only resources an allow rule names may be read.");
    });
  });
});
