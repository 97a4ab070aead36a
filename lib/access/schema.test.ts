import { describe, expect, it } from "vitest";
import { createAccessRequestSchema, decideAccessRequestSchema } from "./schema.ts";

const messages = (result: { error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  Object.fromEntries((result.error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]));

describe("access request schemas report every field, each with its own message", () => {
  it("an access request with a too-long reason and fractional minutes", () => {
    const result = createAccessRequestSchema.safeParse({ connection: "everything", minutes: 1.5, reason: "x".repeat(2001) });
    expect(messages(result)).toEqual({
      minutes: "must be a whole number of minutes",
      reason: "must be at most 2,000 characters",
    });
    expect(messages(decideAccessRequestSchema.safeParse({ comment: "x".repeat(2001) }))).toEqual({
      comment: "must be at most 2,000 characters",
    });
  });
});
