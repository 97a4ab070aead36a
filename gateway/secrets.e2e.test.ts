import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConnection } from "../lib/connections/create-connection.ts";
import { seal } from "../lib/vault/seal.ts";
import { grantAndMint } from "../test/fixtures.ts";
import { mcpClient, startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type JsonUpstream, startJsonUpstream } from "../test/json-upstream.ts";

// No secret in any message the gateway writes: an upstream that reflects the credential it was
// sent into its errors, and a credential that undici refuses (its error quotes the header value),
// must not leak it to the client, into the recording or into the gateway's logs.

let harness: TestGateway;
let upstream: JsonUpstream;

/** Pieces of the credentials planted below; none may appear anywhere the gateway writes. */
const REFLECTED = `reflect-${randomBytes(6).toString("hex")}`;
const LINE_ONE = `first-line-${randomBytes(6).toString("hex")}`;
const LINE_TWO = `second-line-${randomBytes(6).toString("hex")}`;

beforeAll(async () => {
  harness = await startTestGateway();
  // An upstream that puts the Authorization header it received into its errors: a JSON-RPC error
  // for `tools/call reflect`, an HTTP 401 body for `tools/call http-error`.
  upstream = await startJsonUpstream({
    tools: ["reflect", "http-error"],
    onCall: (request, headers, res) => {
      const authorization = String(headers.authorization);
      if (request.params?.name === "http-error") {
        res.writeHead(401, { "content-type": "text/plain" });
        res.end(`invalid credential: ${authorization}`);
        return null;
      }
      return { error: { code: -32001, message: `Credential rejected: ${authorization}`, data: { received: authorization } } };
    },
  });
});
afterAll(async () => {
  await harness?.stop();
  await upstream?.close();
});

/** Everything the gateway wrote about a connection: its sessions' recorded events and its log lines. */
async function writtenFor(slug: string): Promise<string> {
  const events = await harness.t.db.sessionEvent.findMany({ where: { session: { connection: { slug } } }, orderBy: { seq: "asc" } });
  const sessions = await harness.t.db.session.findMany({ where: { connection: { slug } } });
  const json = JSON.stringify({ events, sessions }, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
  return `${json}\n${harness.logs.join("\n")}`;
}

describe("secrets in what the gateway writes", () => {
  it("scrubs a credential that the upstream reflects into a JSON-RPC error and into an HTTP error body", async () => {
    const { t, users, vaultKey } = harness;
    await createConnection(t.db, {
      actor: users.carol,
      vaultKey,
      input: {
        slug: "reflecting",
        name: "Reflecting",
        transport: "streamable-http",
        url: upstream.url,
        headers: { Authorization: `Bearer ${REFLECTED}` },
        maxMinutes: 30,
      },
    });
    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "reflecting" });
    const { client, transport } = mcpClient(harness.gateway.url, token, "reflecting");
    await client.connect(transport);

    const reflected = await client.callTool({ name: "reflect", arguments: {} }).then(
      () => "no error",
      (error: Error) => error.message,
    );
    expect(reflected).toMatch(/Credential rejected: \[REDACTED\]/);
    const httpError = await client.callTool({ name: "http-error", arguments: {} }).then(
      () => "no error",
      (error: Error) => error.message,
    );
    expect(httpError).toMatch(/upstream MCP server "reflecting" did not accept the message: it answered HTTP 401/);
    await transport.terminateSession();
    await client.close();

    // The error reached the recording, scrubbed, as the client saw it.
    const events = await t.db.sessionEvent.findMany({ where: { sessionId: transport.sessionId! }, orderBy: { seq: "asc" } });
    expect(JSON.stringify(events.filter((event) => event.direction === "UPSTREAM_TO_CLIENT").map((e) => e.payload))).toContain(
      "Credential rejected: [REDACTED]",
    );
    expect(JSON.stringify(events.filter((event) => event.direction === "GATEWAY_TO_CLIENT").map((e) => e.payload))).toContain(
      "it answered HTTP 401",
    );
    const written = `${reflected}\n${httpError}\n${await writtenFor("reflecting")}`;
    expect(written).not.toContain(REFLECTED);
    expect(written).not.toContain(token);
  });

  it("scrubs a stored header value that Node's HTTP client refuses (its error would quote the value) and summarises the failure", async () => {
    const { t, users, vaultKey } = harness;
    await createConnection(t.db, {
      actor: users.carol,
      vaultKey,
      input: { slug: "broken-credential", name: "Broken credential", transport: "streamable-http", url: upstream.url, maxMinutes: 30 },
    });
    // A value from before header values were validated: with a newline, which undici refuses to send.
    const row = await t.db.connection.findUniqueOrThrow({ where: { slug: "broken-credential" } });
    const credential = { headers: { Authorization: `Bearer ${LINE_ONE}\n${LINE_TWO}` } };
    await t.db.connection.update({ where: { id: row.id }, data: { credential: seal(JSON.stringify(credential), vaultKey, row.id) } });

    const { token } = await grantAndMint(t.db, { requester: users.alice, approver: users.bob, connection: "broken-credential" });
    const { client, transport } = mcpClient(harness.gateway.url, token, "broken-credential");
    const refused = await client.connect(transport).then(
      () => "connected",
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/did not accept the message: the request to it could not be built: a credential header value .* is invalid/);
    await client.close().catch(() => undefined);
    await expect
      .poll(async () => (await t.db.session.findFirst({ where: { connection: { slug: "broken-credential" } } }))?.endReason, {
        timeout: 5000,
      })
      .toBe("upstream unavailable");

    const written = `${refused}\n${await writtenFor("broken-credential")}`;
    // The gateway did log the failure (the upstream transport does not quote the refused value; were it quoted, it would be scrubbed).
    expect(harness.logs.some((line) => line.includes("upstream send failed"))).toBe(true);
    for (const secret of [LINE_ONE, LINE_TWO, token]) expect(written).not.toContain(secret);
  });
});
