import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import { createAccessRequest } from "../lib/access/create-access-request.ts";
import { decideAccessRequest } from "../lib/access/decide-access-request.ts";
import { JwtVerifier } from "../lib/tokens/jwt-verifier.ts";
import { authenticateApiJwt } from "../lib/users/service-accounts.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";
import { type JwksServer, makeKey, startJwksServer, type TestKey } from "../test/jwks-server.ts";
import { waitFor } from "../test/wait-for.ts";

// A service account's IdP-issued JWT over the WebSocket and legacy SSE client transports: the same
// authentication as /mcp, with the JWT as a Sec-WebSocket-Protocol entry for a header-less client.

let keys: JwksServer;
let key: TestKey;
let harness: TestGateway;
let jwt: string;

beforeAll(async () => {
  key = await makeKey("k1");
  keys = await startJwksServer([key]);
  harness = await startTestGateway({ jwt: { issuers: [{ issuer: keys.issuer }], audiences: ["tollgate"], jwksCooldownMs: 0 } });
  jwt = await keys.sign(key, { sub: "svc-transports", name: "Transports bot", groups: ["engineering"] });
  const verifier = new JwtVerifier({ issuers: [{ issuer: keys.issuer }], audiences: ["tollgate"] });
  const actor = await authenticateApiJwt(harness.t.db, jwt, verifier);
  const request = await createAccessRequest(harness.t.db, { actor: actor!, connectionSlug: "everything", minutes: 15, reason: "ws" });
  await decideAccessRequest(harness.t.db, { actor: harness.users.bob, requestId: request.id, decision: "APPROVE" });
});
afterAll(async () => {
  await harness?.stop();
  await keys?.close();
});

/** A raw WebSocket to /ws/everything with the token as a subprotocol entry, initialized as `clientName`. */
async function initializedSocket(token: string, clientName: string) {
  const socket = new NodeWebSocket(`${harness.gateway.url.replace("http", "ws")}/ws/everything`, ["mcp", `tollgate.bearer.${token}`]);
  const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const answer = new Promise<string>((resolve) => socket.once("message", (data) => resolve(data.toString())));
  socket.send(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: clientName, version: "0" } },
    }),
  );
  expect(JSON.parse(await answer)).toMatchObject({ id: 1, result: { protocolVersion: "2025-06-18" } });
  return { socket, closed };
}

describe("service accounts over WebSocket and SSE", () => {
  it("a JWT in Sec-WebSocket-Protocol opens a session recorded under the service account, with no gateway token", async () => {
    const { socket } = await initializedSocket(jwt, "raw-ws");
    expect(socket.protocol).toBe("mcp");
    const session = await harness.t.db.session.findFirstOrThrow({ where: { transport: "websocket" } });
    const account = await harness.t.db.user.findUniqueOrThrow({ where: { subject: "svc-transports" } });
    expect(session).toMatchObject({ userId: account.id, gatewayTokenId: null });
    socket.close();
    await waitFor(async () => (await harness.t.db.session.findUniqueOrThrow({ where: { id: session.id } })).endedAt !== null);
    expect(harness.logs.join("\n")).not.toContain(jwt);
  });

  it("a WebSocket session opened with a JWT ends when the JWT expires", async () => {
    const shortLived = await keys.sign(key, { sub: "svc-transports", name: "Transports bot", exp: Math.floor(Date.now() / 1000) + 2 });
    const { closed } = await initializedSocket(shortLived, "short-jwt");
    expect(await closed).toBe(1008);
    const endReason = async () =>
      (await harness.t.db.session.findFirstOrThrow({ where: { clientInfo: { path: ["name"], equals: "short-jwt" } } })).endReason;
    await waitFor(async () => (await endReason()) !== null);
    expect(await endReason()).toBe("access token expired");
  });

  it("a JWT in the Authorization header works over legacy SSE", async () => {
    const client = new Client({ name: "sse-jwt", version: "1.0.0" });
    await client.connect(
      new SSEClientTransport(new URL(`${harness.gateway.url}/sse/everything`), {
        requestInit: { headers: { Authorization: `Bearer ${jwt}` } },
      }),
    );
    expect(JSON.stringify(await client.callTool({ name: "echo", arguments: { message: "jwt over sse" } }))).toContain("jwt over sse");
    await client.close();
  });
});
