import { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { describe, expect, it } from "vitest";
import { createLogger } from "./log.ts";
import { bearerOf, SCRUBBED, scrubbingLogger, scrubDeep, scrubSecrets, secretPatterns, sessionSecrets } from "./secrets.ts";
import { describeUpstreamFailure } from "./upstream/describe-failure.ts";

describe("scrubSecrets", () => {
  it("replaces every occurrence of each secret, whole values before their parts", () => {
    const secrets = secretPatterns(["Bearer s3cr3t-upstream-token"]);
    expect(scrubSecrets("got Bearer s3cr3t-upstream-token, twice: Bearer s3cr3t-upstream-token", secrets)).toBe(
      `got ${SCRUBBED}, twice: ${SCRUBBED}`,
    );
    // The token alone (an upstream that quotes only the token) and the scheme word is left alone.
    expect(scrubSecrets("token s3cr3t-upstream-token is not valid for Bearer auth", secrets)).toBe(
      `token ${SCRUBBED} is not valid for Bearer auth`,
    );
  });

  it("finds a value with a control character, raw, JSON-escaped or URL-encoded, and each of its lines", () => {
    const secrets = secretPatterns(["Bearer line-one-secret\nline-two-secret"]);
    expect(scrubSecrets('Headers.append: "Bearer line-one-secret\nline-two-secret" is an invalid header value.', secrets)).toBe(
      `Headers.append: "${SCRUBBED}" is an invalid header value.`,
    );
    expect(scrubSecrets('{"error":"Bearer line-one-secret\\nline-two-secret"}', secrets)).toBe(`{"error":"${SCRUBBED}"}`);
    expect(scrubSecrets("?h=Bearer%20line-one-secret%0Aline-two-secret", secrets)).toBe(`?h=${SCRUBBED}`);
    expect(scrubSecrets("only line-two-secret here", secrets)).toBe(`only ${SCRUBBED} here`);
  });

  it("leaves short values and text without secrets untouched", () => {
    expect(secretPatterns(["1", "true", "debug", "", null, undefined])).toEqual([]);
    expect(scrubSecrets("nothing to see", secretPatterns(["a-long-secret-value"]))).toBe("nothing to see");
    expect(scrubSecrets("nothing to see", [])).toBe("nothing to see");
  });

  it("collects a session's secrets from the credential's headers and env and the client's bearer token", () => {
    const secrets = sessionSecrets({
      credential: { headers: { Authorization: "Bearer header-secret-1" }, env: { API_KEY: "env-secret-2", LEVEL: "info" } },
      bearer: bearerOf("Bearer tgg_client-token-3"),
    });
    const text = "Bearer header-secret-1 / env-secret-2 / tgg_client-token-3 / info";
    expect(scrubSecrets(text, secrets)).toBe(`${SCRUBBED} / ${SCRUBBED} / ${SCRUBBED} / info`);
    expect(bearerOf(undefined)).toBeNull();
    expect(bearerOf(["Bearer first-token"])).toBe("first-token");
  });
});

describe("scrubDeep and scrubbingLogger", () => {
  const secrets = secretPatterns(["super-secret-value"]);

  it("scrubs every string of a JSON-RPC error, keys included, and returns other values as they are", () => {
    const error = { code: -32000, message: "denied for super-secret-value", data: { seen: ["super-secret-value"], n: 1, ok: true } };
    expect(scrubDeep(error, secrets)).toEqual({
      code: -32000,
      message: `denied for ${SCRUBBED}`,
      data: { seen: [SCRUBBED], n: 1, ok: true },
    });
    expect(scrubDeep({ "super-secret-value": null }, secrets)).toEqual({ [SCRUBBED]: null });
    const untouched = { a: 1 };
    expect(scrubDeep(untouched, [])).toBe(untouched);
  });

  it("scrubs log messages, fields (errors too) and child bindings", () => {
    const lines: string[] = [];
    const log = scrubbingLogger(createLogger({ sink: (line) => lines.push(line) }), secrets);
    log.warn("upstream said super-secret-value", { error: "boom super-secret-value", nested: { deep: "super-secret-value" } });
    log.child({ note: "super-secret-value" }).error("again", { cause: new Error("with super-secret-value") });
    expect(lines).toHaveLength(2);
    expect(lines.join("\n")).not.toContain("super-secret-value");
    expect(JSON.parse(lines[0]!)).toMatchObject({ message: `upstream said ${SCRUBBED}`, error: `boom ${SCRUBBED}` });
    expect(JSON.parse(lines[1]!)).toMatchObject({ note: SCRUBBED, cause: `with ${SCRUBBED}` });
  });
});

describe("describeUpstreamFailure", () => {
  it("says what kind of failure it was and quotes nothing of the error's message", () => {
    const secret = "Bearer leaked-credential";
    expect(describeUpstreamFailure(new StreamableHTTPError(401, `Error POSTing to endpoint: bad ${secret}`))).toBe("it answered HTTP 401");
    expect(describeUpstreamFailure(new StreamableHTTPError(-1, `Unexpected content type: ${secret}`))).toMatch(/not MCP/);
    const refused = Object.assign(new TypeError(`fetch failed ${secret}`), {
      cause: Object.assign(new Error(secret), { code: "ECONNREFUSED" }),
    });
    expect(describeUpstreamFailure(refused)).toBe("it refused the connection (ECONNREFUSED)");
    const spawn = Object.assign(new Error(`spawn /opt/${secret} ENOENT`), { code: "ENOENT" });
    expect(describeUpstreamFailure(spawn)).toBe("its command was not found (ENOENT)");
    expect(describeUpstreamFailure(new TypeError(`Headers.append: "${secret}\n" is an invalid header value.`))).toMatch(
      /credential header value of this connection is invalid/,
    );
    expect(describeUpstreamFailure(Object.assign(new Error(secret), { code: `lower ${secret}` }))).toBe("it could not be reached");
    for (const text of [
      describeUpstreamFailure(new Error(secret)),
      describeUpstreamFailure(refused),
      describeUpstreamFailure(new SyntaxError(secret)),
    ]) {
      expect(text).not.toContain("leaked-credential");
    }
  });
});
