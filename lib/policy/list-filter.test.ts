import { describe, expect, it } from "vitest";
import { compileGuardrails } from "./guardrails.ts";
import { filterListResult, toolAccess } from "./list-filter.ts";
import { type PolicyDocumentInput, policyDocumentSchema } from "./schema.ts";

const policy = (input: PolicyDocumentInput) => policyDocumentSchema.parse(input);

const guardrails = compileGuardrails(
  policy({
    rules: [
      { id: "no-delete", kind: "guardrail", match: { name: "delete_*" }, action: "deny" },
      { id: "hold-deploy", kind: "guardrail", match: { name: "deploy" }, action: "require-approval" },
      { id: "no-drop", kind: "guardrail", match: { name: "run_sql", arguments: [{ path: "$.query", regex: "(?i)drop" }] }, action: "deny" },
      { id: "secrets", kind: "guardrail", match: { name: "file:///secrets/*" }, action: "deny" },
      { id: "admin-prompts", kind: "guardrail", match: { method: "prompts/get", name: "admin*" }, action: "deny" },
    ],
  }),
  null,
);

describe("filterListResult", () => {
  it("hides denied tools, keeps require-approval ones and tools only argument rules name", () => {
    const result = {
      tools: [
        { name: "search" },
        { name: "delete_user" },
        { name: "deploy" },
        { name: "run_sql" },
        { name: "DELETE_all" },
        { name: "ｄｅｌｅｔｅ_x" },
      ],
      nextCursor: "c2",
    };
    const before = structuredClone(result);
    const filtered = filterListResult(guardrails, "tools/list", result);
    expect(filtered.hidden).toBe(3);
    expect(filtered.result).toEqual({ tools: [{ name: "search" }, { name: "deploy" }, { name: "run_sql" }], nextCursor: "c2" });
    expect(result).toEqual(before); // never modified
  });

  it("filters prompts, resources and resource templates by their own use method", () => {
    expect(filterListResult(guardrails, "prompts/list", { prompts: [{ name: "admin_reset" }, { name: "summary" }] })).toEqual({
      result: { prompts: [{ name: "summary" }] },
      hidden: 1,
    });
    expect(
      filterListResult(guardrails, "resources/list", { resources: [{ uri: "file:///secrets/key", name: "k" }, { uri: "file:///docs/a" }] }),
    ).toEqual({
      result: { resources: [{ uri: "file:///docs/a" }] },
      hidden: 1,
    });
    expect(
      filterListResult(guardrails, "resources/templates/list", {
        resourceTemplates: [{ uriTemplate: "file:///secrets/{name}" }, { uriTemplate: "db://{table}" }],
      }),
    ).toEqual({
      result: { resourceTemplates: [{ uriTemplate: "db://{table}" }] },
      hidden: 1,
    });
  });

  it("under a deny default, hides every tool no allow rule names, keeping those an argument-dependent allow names", () => {
    const g = compileGuardrails(
      policy({
        default: "deny",
        rules: [
          { kind: "guardrail", match: { name: "read_*" }, action: "allow" },
          { kind: "guardrail", match: { name: "run_sql", arguments: [{ path: "$.readonly", equals: true }] }, action: "allow" },
        ],
      }),
      null,
    );
    expect(
      filterListResult(g, "tools/list", { tools: [{ name: "read_file" }, { name: "write_file" }, { name: "run_sql" }] }).result,
    ).toEqual({
      tools: [{ name: "read_file" }, { name: "run_sql" }],
    });
  });

  it("returns the same result when nothing is hidden or the shape is unknown", () => {
    const result = { tools: [{ name: "search" }] };
    expect(filterListResult(guardrails, "tools/list", result).result).toBe(result);
    expect(filterListResult(guardrails, "tools/call", result).result).toBe(result);
    expect(filterListResult(guardrails, "tools/list", { tools: "nope" })).toEqual({ result: { tools: "nope" }, hidden: 0 });
    expect(filterListResult(guardrails, "tools/list", null)).toEqual({ result: null, hidden: 0 });
    const odd = { tools: [{ title: "no name" }, 42] };
    expect(filterListResult(guardrails, "tools/list", odd).result).toBe(odd);
  });
});

describe("toolAccess", () => {
  it("says which tools are denied, held or allowed, and which only argument rules restrict", () => {
    expect(toolAccess(guardrails, ["search", "delete_user", "deploy", "run_sql"])).toEqual([
      { name: "search", action: "allow", conditional: false, reason: "Allowed: no policy rule matches and the default is allow." },
      {
        name: "delete_user",
        action: "deny",
        conditional: false,
        reason: "Denied by policy rule no-delete (global policy).",
        rule: { id: "no-delete", scope: "global" },
      },
      {
        name: "deploy",
        action: "require-approval",
        conditional: false,
        reason: "Needs an approver's decision under policy rule hold-deploy (global policy).",
        rule: { id: "hold-deploy", scope: "global" },
      },
      { name: "run_sql", action: "allow", conditional: true, reason: "Allowed: no policy rule matches and the default is allow." },
    ]);
  });
});
