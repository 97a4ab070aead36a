import { describe, expect, it } from "vitest";
import { parseInput } from "../validate.ts";
import { createConnectionSchema, credentialInUrl, isSecretParameter, updateConnectionSchema } from "./schema.ts";

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

const http = (extra: Record<string, unknown>) => ({
  slug: "up",
  name: "Up",
  transport: "streamable-http",
  url: "https://mcp.example.com/mcp",
  ...extra,
});
const stdio = (extra: Record<string, unknown>) => ({ slug: "local", name: "Local", transport: "stdio", command: "node", ...extra });
const refusal = (schema: Parameters<typeof parseInput>[0], input: unknown) => {
  try {
    parseInput(schema, input);
  } catch (error) {
    return error as { code: string; field?: string; message: string };
  }
  return null;
};

describe("credentials in a connection's URL", () => {
  it("refuses user:password@ and a bare user@, pointing to the headers field", () => {
    for (const url of ["https://user:pass@mcp.example.com/mcp", "https://token@mcp.example.com/mcp", "http://:secret@10.0.0.1/mcp"]) {
      const error = refusal(createConnectionSchema, http({ url }));
      expect(error, url).toMatchObject({
        code: "BAD_REQUEST",
        field: "url",
        message: expect.stringMatching(/^url: .*credential header.*headers/),
      });
      expect(refusal(updateConnectionSchema, { url }), url).toMatchObject({ field: "url" });
    }
  });

  it("refuses query parameters named like secrets, naming the parameter", () => {
    for (const [url, name] of [
      ["https://mcp.example.com/mcp?token=abc", "token"],
      ["https://mcp.example.com/mcp?api_key=abc", "api_key"],
      ["https://mcp.example.com/mcp?apiKey=abc", "apiKey"],
      ["https://mcp.example.com/mcp?APIKEY=abc", "APIKEY"],
      ["https://mcp.example.com/mcp?region=eu&access_token=abc", "access_token"],
      ["https://mcp.example.com/mcp?X-Amz-Signature=abc", "X-Amz-Signature"],
      ["https://mcp.example.com/mcp?sig=abc", "sig"],
      ["https://mcp.example.com/mcp?password=abc", "password"],
      ["https://mcp.example.com/mcp?client_secret=abc", "client_secret"],
      ["https://mcp.example.com/mcp?auth=abc", "auth"],
      ["https://mcp.example.com/mcp?github-token=abc", "github-token"],
      ["https://mcp.example.com/mcp?key=abc", "key"],
    ] as const) {
      expect(credentialInUrl(url), url).toContain(`"${name}"`);
      expect(refusal(createConnectionSchema, http({ url })), url).toMatchObject({
        field: "url",
        message: expect.stringMatching(/headers/),
      });
    }
  });

  it("accepts ordinary URLs and parameters", () => {
    for (const url of [
      "https://mcp.example.com/mcp",
      "https://mcp.example.com/mcp?region=eu&monkey=1&author=x&keyword=y&tokenizer=z",
      "http://127.0.0.1:8000/mcp",
    ]) {
      expect(credentialInUrl(url), url).toBeNull();
      expect(refusal(createConnectionSchema, http({ url })), url).toBeNull();
    }
    expect(["region", "monkey", "author", "keyword", "tokenizer", "keys_count", "passage"].some(isSecretParameter)).toBe(false);
  });
});

describe("control characters in credential values", () => {
  it("refuses CR, LF, NUL, other C0 controls and DEL in header values, naming the header", () => {
    for (const value of ["Bearer x\r\nX-Injected: 1", "Bearer x\n", "a\u0000b", "tab\there", "del\u007f", "c1\u0085"]) {
      const error = refusal(createConnectionSchema, http({ headers: { Authorization: value } }));
      expect(error, JSON.stringify(value)).toMatchObject({
        code: "BAD_REQUEST",
        field: "headers.Authorization",
        message: expect.stringMatching(/^headers\.Authorization: must not contain control characters .*found U\+00[0-9A-F]{2}/),
      });
      expect(refusal(updateConnectionSchema, { headers: { Authorization: value } }), JSON.stringify(value)).toMatchObject({
        field: "headers.Authorization",
      });
    }
    expect(refusal(createConnectionSchema, http({ headers: { Authorization: "Bearer abc.DEF-123_~+/=" } }))).toBeNull();
  });

  it("refuses them in environment values, naming the variable", () => {
    const error = refusal(createConnectionSchema, stdio({ env: { API_KEY: "abc\u0000def" } }));
    expect(error).toMatchObject({ code: "BAD_REQUEST", field: "env.API_KEY", message: expect.stringMatching(/U\+0000 at position 4/) });
    expect(refusal(updateConnectionSchema, { env: { API_KEY: "line\nbreak" } })).toMatchObject({ field: "env.API_KEY" });
    expect(refusal(createConnectionSchema, stdio({ env: { API_KEY: "ünïcode-is-fine" } }))).toBeNull();
  });
});

describe("legacy SSE and WebSocket upstreams", () => {
  const base = { slug: "up", name: "Up" };
  it("an SSE connection takes an http(s) URL, a WebSocket connection a ws(s) URL, each without credentials", () => {
    expect(createConnectionSchema.safeParse({ ...base, transport: "sse", url: "https://mcp.example.com/sse" }).success).toBe(true);
    expect(createConnectionSchema.safeParse({ ...base, transport: "websocket", url: "wss://mcp.example.com/ws" }).success).toBe(true);
    expect(messages(createConnectionSchema.safeParse({ ...base, transport: "sse", url: "ws://mcp.example.com/ws" }))).toEqual({
      url: "must be an http(s) URL of the upstream MCP endpoint",
    });
    expect(messages(createConnectionSchema.safeParse({ ...base, transport: "websocket", url: "https://mcp.example.com/mcp" }))).toEqual({
      url: "must be a ws:// or wss:// URL of the upstream MCP WebSocket endpoint",
    });
    expect(
      messages(createConnectionSchema.safeParse({ ...base, transport: "websocket", url: "wss://mcp.example.com/ws?token=x" })).url,
    ).toMatch(/must not carry credentials/);
    expect(updateConnectionSchema.safeParse({ url: "wss://mcp.example.com/ws" }).success).toBe(true);
    expect(updateConnectionSchema.safeParse({ url: "ftp://mcp.example.com/ws" }).success).toBe(false);
  });
});
