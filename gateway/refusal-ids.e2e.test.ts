import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantAndMint } from "../test/fixtures.ts";
import { startTestGateway, type TestGateway } from "../test/gateway-harness.ts";

// Every refusal of a request names it: errors decided after the body was parsed carry its id, and
// refusals decided before the body was read (no token, wrong grant, unknown session) read a small
// body to find it. Only what cannot be read (too large, too slow, not JSON) is answered with id null.

let harness: TestGateway;
let token: string;

beforeAll(async () => {
  harness = await startTestGateway();
  ({ token } = await grantAndMint(harness.t.db, { requester: harness.users.alice, approver: harness.users.bob, connection: "everything" }));
});
afterAll(async () => harness?.stop());

const json = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function refusal(
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; id: unknown; code: number }> {
  const response = await fetch(`${harness.gateway.url}${path}`, { method: "POST", headers, body });
  const answer = (await response.json()) as { id: unknown; error: { code: number } };
  return { status: response.status, id: answer.id, code: answer.error.code };
}

describe("refusals carry the request's id", () => {
  const call = JSON.stringify({
    jsonrpc: "2.0",
    id: "call-7",
    method: "tools/call",
    params: { name: "echo", arguments: { message: "x" } },
  });

  it("before the body was read: 401 without a token, 403 for another connection, 404 for an unknown session", async () => {
    expect(await refusal("/mcp/everything", json, call)).toEqual({ status: 401, id: "call-7", code: -32011 });
    expect(await refusal("/mcp/everything", { ...json, authorization: "Bearer tgg_nope" }, call)).toMatchObject({
      status: 401,
      id: "call-7",
    });
    expect(await refusal("/mcp/nowhere", { ...json, authorization: `Bearer ${token}` }, call)).toMatchObject({ id: "call-7" });
    expect(
      await refusal("/mcp/everything", { ...json, authorization: `Bearer ${token}`, "mcp-session-id": "no-such-session" }, call),
    ).toEqual({ status: 404, id: "call-7", code: -32001 });
    // Legacy SSE message endpoint too.
    expect(await refusal("/sse/everything/messages?sessionId=nope", json, call)).toEqual({ status: 401, id: "call-7", code: -32011 });
  });

  it("after the body was parsed: header mismatch, no session", async () => {
    const auth = { ...json, authorization: `Bearer ${token}` };
    expect(await refusal("/mcp/everything", { ...auth, "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/list" }, call)).toEqual({
      status: 400,
      id: "call-7",
      code: -32020,
    });
    expect(await refusal("/mcp/everything", auth, call)).toEqual({ status: 400, id: "call-7", code: -32600 });
  });

  it("what cannot be read names nothing: not JSON, a batch", async () => {
    expect(await refusal("/mcp/everything", json, "{nope")).toMatchObject({ status: 401, id: null });
    expect(await refusal("/mcp/everything", json, `[${call}]`)).toMatchObject({ status: 401, id: null });
  });
});
