import { describe, expect, it } from "vitest";
import { normalizeKey, normalizeName } from "./normalize.ts";

describe("normalizeName", () => {
  it.each([
    ["delete_database", "delete_database"],
    ["DELETE_database", "delete_database"],
    ["ｄｅｌｅｔｅ_database", "delete_database"], // full-width letters
    ["delete\u200B_database", "delete_database"], // zero-width space
    ["de\u00ADlete_data\u2060base", "delete_database"], // soft hyphen, word joiner
    ["\uFEFFdelete_database\u200D", "delete_database"], // BOM, zero-width joiner
    ["delete\u202E_database\u202C", "delete_database"], // bidi override and pop
    ["delete\u2066_database\u2069", "delete_database"], // bidi isolates
    ["dele\uFE0Fte_database", "delete_database"], // variation selector
    ["ﬁle_read", "file_read"], // compatibility ligature
    ["Straße", "strasse"], // full case folding, not just toLowerCase
    ["ΟΔΟΣ", "οδοσ"], // final sigma folds like the others
    ["file:///ETC/passwd", "file:///etc/passwd"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeName(input)).toBe(expected);
  });

  it("does not unify confusables across scripts (Cyrillic а is not Latin a)", () => {
    expect(normalizeName("dеlete")).not.toBe("delete"); // the "е" is U+0435
  });
});

describe("normalizeKey", () => {
  it.each([
    ["apiKey", "apikey"],
    ["api_key", "apikey"],
    ["API-KEY", "apikey"],
    ["Password", "password"],
  ])("%j → %j", (input, expected) => {
    expect(normalizeKey(input)).toBe(expected);
  });
});
