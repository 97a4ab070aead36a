import http from "node:http";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import { apiAs, demoToken, gatewayUrl, portalUrl, signIn } from "./helpers.ts";

// Red-team findings against the REST API, checked over HTTP against the real built portal:
// bounded request bodies, CSRF for cookie-authenticated writes, 404 (not 403) for other people's
// rows, roles checked before bodies, upstream details for admins only, credential hygiene.

type ErrorBody = { error: { code: string; message: string; field?: string } };

interface StreamResult {
  status: number;
  body: string;
  /** Bytes written before the response arrived. */
  sentWhenAnswered: number;
  ms: number;
}

/** Streams `total` bytes of JSON-ish filler to the portal in 64 KB chunks; resolves on the response. */
function streamBody(path: string, options: { total: number; contentLength: boolean; token: string }): Promise<StreamResult> {
  const url = new URL(`${portalUrl()}/api/v1${path}`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const request = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: "POST",
        headers: {
          authorization: `Bearer ${options.token}`,
          "content-type": "application/json",
          ...(options.contentLength ? { "content-length": String(options.total) } : { "transfer-encoding": "chunked" }),
        },
      },
      (response) => {
        answered = true;
        const sentWhenAnswered = sent;
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          body += chunk;
        });
        response.on("end", () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body, sentWhenAnswered, ms: Date.now() - started });
        });
      },
    );
    request.on("error", (error) => {
      if (!answered) reject(error);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x20); // spaces: valid JSON whitespace, never a parse error by itself
    const pump = () => {
      while (!answered && sent < options.total) {
        sent += chunk.length;
        if (!request.write(chunk)) {
          request.once("drain", pump);
          return;
        }
      }
      if (!answered) request.end();
    };
    pump();
  });
}

test.describe("request bodies are bounded", () => {
  // The portal answers 413 and closes while the client is still writing; now and then the client's
  // next write fails (EPIPE) before it has parsed the answer sitting in its socket. A retry tells
  // that race apart from a portal that reads the whole body.
  test.describe.configure({ retries: 2 });
  const TOTAL = 300 * 1024 * 1024;

  for (const contentLength of [true, false]) {
    test(`300 MB ${contentLength ? "with Content-Length" : "chunked"}: 413 before the portal reads it all`, async ({ request }) => {
      const result = await streamBody("/access-requests", { total: TOTAL, contentLength, token: demoToken("alice") });
      expect(result.status, result.body).toBe(413);
      expect(JSON.parse(result.body)).toMatchObject({
        error: { code: "PAYLOAD_TOO_LARGE", message: expect.stringMatching(/65536 bytes/) },
      });
      expect(result.sentWhenAnswered).toBeLessThan(TOTAL / 4);
      expect(result.ms).toBeLessThan(10_000);
      // The portal is still there and still answers.
      expect((await apiAs(request, "alice").get("/me")).status()).toBe(200);
    });
  }

  test("a body just over the limit is refused, one under it is parsed", async ({ request }) => {
    const alice = apiAs(request, "alice");
    const over = await alice.raw("POST", "/access-requests", `{"reason":"${"x".repeat(64 * 1024)}"}`, {
      "content-type": "application/json",
    });
    expect(over.status()).toBe(413);
    const broken = await alice.raw("POST", "/access-requests", '{"connection": "everything",', { "content-type": "application/json" });
    expect(broken.status()).toBe(400);
    expect(((await broken.json()) as ErrorBody).error.message).toMatch(/^Body is not valid JSON/);
  });
});

test.describe("CSRF: cookie-authenticated writes", () => {
  let context: BrowserContext;
  let page: Page;
  const body = JSON.stringify({ connection: "everything", minutes: 5, reason: "csrf check" });
  const post = (headers: Record<string, string>, data = body) =>
    context.request.fetch(`${portalUrl()}/api/v1/access-requests`, { method: "POST", headers, data: Buffer.from(data) });

  test.beforeAll(async ({ browser }) => {
    context = await browser.newContext();
    page = await context.newPage();
    await signIn(page, "alice@example.com");
  });
  test.afterAll(async () => context.close());

  test("the session cookie works for reads", async () => {
    expect((await context.request.get(`${portalUrl()}/api/v1/me`)).status()).toBe(200);
  });

  test("neither Origin nor Sec-Fetch-Site: 403 saying why", async () => {
    const refused = await post({ "content-type": "application/json" });
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.message).toMatch(/Origin|Sec-Fetch-Site/);
  });

  test("cross-site, same-site from another origin, or a foreign Origin: 403", async () => {
    const own = new URL(portalUrl()).origin;
    const foreign: Array<Record<string, string>> = [
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "http://127.0.0.1:1" },
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "same-origin", origin: "https://evil.example" },
      { "sec-fetch-site": "none" },
    ];
    for (const headers of foreign) {
      const refused = await post({ "content-type": "application/json", ...headers });
      expect(refused.status(), JSON.stringify(headers)).toBe(403);
      expect(((await refused.json()) as ErrorBody).error.code).toBe("FORBIDDEN");
    }
    // Sanity: the same body from the portal's own origin passes.
    const ok = await post({ "content-type": "application/json", "sec-fetch-site": "same-origin", origin: own });
    expect(ok.status()).toBe(201);
  });

  test("not JSON: 415, even from the portal's own origin", async () => {
    const own = new URL(portalUrl()).origin;
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const refused = await post({ "content-type": contentType, "sec-fetch-site": "same-origin", origin: own });
      expect(refused.status(), contentType).toBe(415);
      expect(((await refused.json()) as ErrorBody).error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    }
    // A cookie write without a body still needs the JSON content type.
    const bare = await context.request.fetch(`${portalUrl()}/api/v1/grants/none/revoke`, {
      method: "POST",
      headers: { "sec-fetch-site": "same-origin", origin: own },
    });
    expect(bare.status()).toBe(415);
  });

  test("the portal's own page: a same-origin JSON fetch from the browser works", async () => {
    const result = await page.evaluate(async (payload) => {
      const response = await fetch("/api/v1/access-requests", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: payload,
      });
      return { status: response.status, body: (await response.json()) as { id?: string } };
    }, body);
    expect(result.status).toBe(201);
    // And an empty-bodied write (the cancel button) from the page.
    const cancelled = await page.evaluate(async (id) => {
      const response = await fetch(`/api/v1/access-requests/${id}/cancel`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      return response.status;
    }, result.body.id!);
    expect(cancelled).toBe(200);
  });

  test("bearer tokens need no Origin; a body that is not JSON is still 415", async ({ request }) => {
    const alice = apiAs(request, "alice");
    const created = await alice.raw("POST", "/access-requests", body, { "content-type": "application/json" });
    expect(created.status()).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const text = await alice.raw("POST", "/access-requests", body, { "content-type": "text/plain" });
    expect(text.status()).toBe(415);
    // The CLI posts bodyless actions without a content type.
    const cancelled = await request.fetch(`${portalUrl()}/api/v1/access-requests/${id}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${demoToken("alice")}` },
    });
    expect(cancelled.status()).toBe(200);
  });
});

test.describe("someone else's rows are 404, like rows that do not exist", () => {
  test("sessions, access requests, grants and gateway tokens of bob are invisible to alice", async ({ request }) => {
    const alice = apiAs(request, "alice");
    const bob = apiAs(request, "bob");
    const carol = apiAs(request, "carol");

    const created = await bob.post("/access-requests", { connection: "everything", minutes: 5, reason: "bob's own" });
    expect(created.status()).toBe(201);
    const requestId = ((await created.json()) as { id: string }).id;
    const approved = await carol.post(`/access-requests/${requestId}/approve`);
    const grantId = ((await approved.json()) as { grant: { id: string } }).grant.id;
    const minted = await bob.post(`/grants/${grantId}/tokens`);
    const token = ((await minted.json()) as { token: string }).token;
    const tokenId = ((await (await bob.get(`/grants/${grantId}/tokens`)).json()) as Array<{ id: string }>)[0]!.id;

    // A session of bob's through the gateway.
    const init = await fetch(`${gatewayUrl()}/mcp/everything`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "bob-script", version: "1" } },
      }),
    });
    expect(init.status).toBe(200);
    await init.body?.cancel();
    const { sessions } = (await (await bob.get("/sessions")).json()) as { sessions: Array<{ id: string; grantId: string }> };
    const sessionId = sessions.find((session) => session.grantId === grantId)!.id;

    const missing = "00000000-0000-4000-8000-000000000000";
    const cases: Array<[string, string, (id: string) => ReturnType<typeof alice.get>]> = [
      ["GET session", sessionId, (id) => alice.get(`/sessions/${id}`)],
      ["GET session events", sessionId, (id) => alice.get(`/sessions/${id}/events`)],
      ["GET access request", requestId, (id) => alice.get(`/access-requests/${id}`)],
      ["cancel access request", requestId, (id) => alice.post(`/access-requests/${id}/cancel`)],
      ["mint gateway token", grantId, (id) => alice.post(`/grants/${id}/tokens`)],
      ["list gateway tokens", grantId, (id) => alice.get(`/grants/${id}/tokens`)],
      ["revoke grant", grantId, (id) => alice.post(`/grants/${id}/revoke`)],
      ["revoke gateway token", tokenId, (id) => alice.post(`/gateway-tokens/${id}/revoke`)],
    ];
    for (const [name, id, call] of cases) {
      const [theirs, none] = [await call(id), await call(missing)];
      expect(theirs.status(), name).toBe(404);
      expect(none.status(), name).toBe(404);
      const [a, b] = [((await theirs.json()) as ErrorBody).error, ((await none.json()) as ErrorBody).error];
      // The same answer apart from the id itself.
      expect(a.code, name).toBe("NOT_FOUND");
      expect(a.message.replace(id, "<id>"), name).toBe(b.message.replace(missing, "<id>"));
    }
    // Still there for bob, and for approvers who may see everyone's.
    expect((await bob.get(`/sessions/${sessionId}`)).status()).toBe(200);
    expect((await carol.get(`/access-requests/${requestId}`)).status()).toBe(200);
    await bob.post(`/grants/${grantId}/revoke`);
  });
});

test.describe("roles are checked before bodies", () => {
  test("a requester's malformed body to an admin or approver route is 403, not 400", async ({ request }) => {
    const alice = apiAs(request, "alice");
    const json = { "content-type": "application/json" };
    for (const [path, body] of [
      ["/connections", "{not json"],
      ["/connections", JSON.stringify({ slug: "Bad Slug" })],
      ["/access-requests/00000000-0000-4000-8000-000000000000/approve", "{not json"],
      ["/access-requests/00000000-0000-4000-8000-000000000000/deny", JSON.stringify({ comment: 42 })],
    ] as const) {
      const refused = await alice.raw("POST", path, body, json);
      expect(refused.status(), `${path} ${body}`).toBe(403);
      expect(((await refused.json()) as ErrorBody).error.code).toBe("FORBIDDEN");
    }
    const patch = await alice.raw("PATCH", "/connections/everything", "{not json", json);
    expect(patch.status()).toBe(403);
  });
});

test.describe("connections: upstream details for admins only, credentials only in headers", () => {
  test("requesters see no url, command or args; admins do", async ({ request }) => {
    const carol = apiAs(request, "carol");
    const created = await carol.post("/connections", {
      slug: "sec-http",
      name: "Security HTTP",
      transport: "streamable-http",
      url: "https://mcp.internal.example/mcp",
    });
    expect(created.status()).toBe(201);
    expect(await created.json()).toMatchObject({ url: "https://mcp.internal.example/mcp" });

    for (const who of ["alice", "bob"]) {
      const list = await apiAs(request, who).get("/connections");
      const text = await list.text();
      expect(text).not.toContain("mcp.internal.example");
      expect(text).not.toContain("node_modules/.bin");
      for (const connection of JSON.parse(text) as Array<Record<string, unknown>>) {
        expect(connection).not.toHaveProperty("url");
        expect(connection).not.toHaveProperty("command");
        expect(connection).not.toHaveProperty("args");
      }
      const one = (await (await apiAs(request, who).get("/connections/everything")).json()) as Record<string, unknown>;
      expect(one).toMatchObject({ slug: "everything" });
      expect(one).not.toHaveProperty("command");
      expect(one).not.toHaveProperty("args");
    }
    const adminList = (await (await carol.get("/connections")).json()) as Array<Record<string, unknown>>;
    expect(adminList.find((connection) => connection.slug === "sec-http")).toMatchObject({ url: "https://mcp.internal.example/mcp" });
    expect(adminList.find((connection) => connection.slug === "everything")).toHaveProperty("command");
  });

  test("credentials in the URL are refused with a pointer to headers", async ({ request }) => {
    const carol = apiAs(request, "carol");
    for (const url of [
      "https://user:pass@mcp.example.com/mcp",
      "https://token@mcp.example.com/mcp",
      "https://mcp.example.com/mcp?api_key=abc",
      "https://mcp.example.com/mcp?x=1&Access_Token=abc",
      "https://mcp.example.com/mcp?sig=abc",
    ]) {
      const refused = await carol.post("/connections", { slug: "sec-cred", name: "Cred", transport: "streamable-http", url });
      expect(refused.status(), url).toBe(400);
      const error = ((await refused.json()) as ErrorBody).error;
      expect(error.field, url).toBe("url");
      expect(error.message, url).toMatch(/headers/);
      const patched = await carol.raw("PATCH", "/connections/sec-http", JSON.stringify({ url }), { "content-type": "application/json" });
      expect(patched.status(), url).toBe(400);
    }
    const fine = await carol.post("/connections", {
      slug: "sec-query",
      name: "Query",
      transport: "streamable-http",
      url: "https://mcp.example.com/mcp?region=eu&monkey=1",
    });
    expect(fine.status()).toBe(201);
  });

  test("control characters in header and env values: 400 naming the field", async ({ request }) => {
    const carol = apiAs(request, "carol");
    const header = await carol.post("/connections", {
      slug: "sec-crlf",
      name: "CRLF",
      transport: "streamable-http",
      url: "https://mcp.example.com/mcp",
      headers: { Authorization: "Bearer x\r\nX-Injected: 1" },
    });
    expect(header.status()).toBe(400);
    expect(await header.json()).toMatchObject({ error: { code: "BAD_REQUEST", field: "headers.Authorization" } });
    const env = await carol.post("/connections", {
      slug: "sec-nul",
      name: "NUL",
      transport: "stdio",
      command: "node",
      env: { API_KEY: "abc\u0000def" },
    });
    expect(env.status()).toBe(400);
    expect(await env.json()).toMatchObject({ error: { code: "BAD_REQUEST", field: "env.API_KEY" } });
  });
});
