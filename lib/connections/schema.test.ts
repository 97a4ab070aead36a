import { describe, expect, it } from "vitest";
import { createConnectionSchema } from "./schema.ts";

const messages = (result: { error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  Object.fromEntries((result.error?.issues ?? []).map((issue) => [issue.path.join("."), issue.message]));

describe("connection schema messages", () => {
  it("a connection with bad header and variable names names the key's problem", () => {
    const http = createConnectionSchema.safeParse({
      slug: "a",
      name: "A",
      transport: "streamable-http",
      url: "https://x",
      headers: { "a b": "v" },
    });
    expect(messages(http)).toEqual({ "headers.a b": "is not a valid HTTP header name" });
    const stdio = createConnectionSchema.safeParse({ slug: "a", name: "A", transport: "stdio", command: "npx", env: { "1X": "v" } });
    expect(messages(stdio)).toEqual({ "env.1X": "is not a valid environment variable name" });
    const empty = createConnectionSchema.safeParse({ slug: "", name: "", transport: "streamable-http", url: "", maxMinutes: Number.NaN });
    expect(messages(empty)).toEqual({
      slug: "must be lowercase letters, digits and dashes (e.g. github-prod)",
      name: "is required",
      url: "must be an http(s) URL of the upstream MCP endpoint",
      maxMinutes: "must be a number of minutes",
    });
  });
});
