import { describe, expect, it } from "vitest";
import { compileGlob } from "./glob.ts";

describe("compileGlob", () => {
  it.each([
    ["tools/call", "tools/call", true],
    ["tools/call", "tools/calls", false],
    ["resources/*", "resources/read", true],
    ["resources/*", "resources/templates/list", true], // * spans "/"
    ["resources/*", "resource/read", false],
    ["*", "", true],
    ["*", "anything at all", true],
    ["delete_*", "delete_database", true],
    ["delete_*", "undelete_database", false],
    ["*_database", "drop_database", true],
    ["*sql*", "run_sql_query", true],
    ["a*b*c", "abc", true],
    ["a*b*c", "axxbyyc", true],
    ["a*b*c", "acb", false],
    ["a*b*c", "abcb", false],
    ["ab*ba", "aba", false], // prefix and suffix may not overlap
    ["file?.txt", "file1.txt", true],
    ["file?.txt", "file.txt", false],
    ["file?.txt", "file12.txt", false],
    ["?", "😀", true], // ? is one character, not one UTF-16 unit
    ["a.b", "axb", false], // "." is literal
    ["(x)+", "(x)+", true], // regex syntax is literal
  ])("%j matches %j: %s", (pattern, text, expected) => {
    expect(compileGlob(pattern)(text)).toBe(expected);
  });

  it("stays fast on pathological patterns (no backtracking blow-up)", () => {
    const matcher = compileGlob(`${"a*".repeat(50)}b`);
    const started = performance.now();
    expect(matcher("a".repeat(5000))).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
