import { describe, expect, it } from "vitest";
import { compileJsonPath, JsonPathError, select } from "./json-path.ts";

const doc = {
  query: "SELECT 1",
  options: { force: true, "odd key": 1, nested: { password: "p2" } },
  items: [{ name: "a" }, { name: "b", password: "p1" }, { other: 1 }],
  password: "p0",
};

function paths(path: string, value: unknown = doc) {
  return select(value, path).map((match) => [match.path, match.value]);
}

describe("JSON path", () => {
  it("selects the root, properties and elements", () => {
    expect(paths("$")).toEqual([["$", doc]]);
    expect(paths("$.query")).toEqual([["$.query", "SELECT 1"]]);
    expect(paths("$.options.force")).toEqual([["$.options.force", true]]);
    expect(paths("$['options']['odd key']")).toEqual([["$.options['odd key']", 1]]);
    expect(paths('$["options"].force')).toEqual([["$.options.force", true]]);
    expect(paths("$.items[1].name")).toEqual([["$.items[1].name", "b"]]);
  });

  it("selects every element or property with [*] and .*", () => {
    expect(paths("$.items[*].name")).toEqual([
      ["$.items[0].name", "a"],
      ["$.items[1].name", "b"],
    ]);
    expect(paths("$.options.*").map(([path]) => path)).toEqual(["$.options.force", "$.options['odd key']", "$.options.nested"]);
  });

  it("descends recursively with ..", () => {
    expect(
      paths("$..password")
        .map(([path]) => path)
        .sort(),
    ).toEqual(["$.items[1].password", "$.options.nested.password", "$.password"]);
    expect(paths("$..[0].name")).toEqual([["$.items[0].name", "a"]]);
  });

  it("selects nothing where nothing is", () => {
    expect(paths("$.missing")).toEqual([]);
    expect(paths("$.items[9]")).toEqual([]);
    expect(paths("$.query.length")).toEqual([]);
    expect(paths("$.items.name")).toEqual([]);
    expect(paths("$.a", "text")).toEqual([]);
  });

  it("reports the concrete path of each match with parent and key", () => {
    const [match] = select(doc, "$.items[1].name");
    expect(match).toMatchObject({ path: "$.items[1].name", parent: doc.items[1], key: "name" });
  });

  it.each([
    ["query", 'must start with "$"'],
    ["$.", "expected a property name"],
    ["$[", 'missing "]"'],
    ["$[abc]", "must be an index like [0]"],
    ["$['unterminated", "unterminated"],
    ["$.a b", 'unexpected " "'],
    ["$[-1]", "must be an index like [0]"],
  ])("rejects %j with a clear message", (path, message) => {
    expect(() => compileJsonPath(path)).toThrow(JsonPathError);
    expect(() => compileJsonPath(path)).toThrow(message);
  });
});
