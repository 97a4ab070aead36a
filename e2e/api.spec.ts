import { type APIRequestContext, expect, test } from "@playwright/test";
import { portalUrl } from "./helpers.ts";

// The REST API for scripts: bearer personal API tokens, the same role checks as the UI,
// JSON errors that name the field at fault.

const tokens = () => JSON.parse(process.env.TOLLGATE_DEMO_TOKENS!) as Array<{ email: string; token: string }>;
const tokenOf = (name: string) => tokens().find((t) => t.email.startsWith(`${name}@`))!.token;
const api = (request: APIRequestContext, name: string | null) => {
  const headers: Record<string, string> = name ? { authorization: `Bearer ${tokenOf(name)}` } : {};
  return {
    get: (path: string) => request.get(`${portalUrl()}/api/v1${path}`, { headers }),
    post: (path: string, data?: unknown) => request.post(`${portalUrl()}/api/v1${path}`, { headers, data: data ?? {} }),
    patch: (path: string, data: unknown) => request.patch(`${portalUrl()}/api/v1${path}`, { headers, data }),
  };
};

test("scripted lifecycle: request, approve, token, revoke, sessions", async ({ request }) => {
  const alice = api(request, "alice");
  const bob = api(request, "bob");

  const created = await alice.post("/access-requests", { connection: "everything", minutes: 10, reason: "scripted check" });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };

  const other = await alice.post("/access-requests", { connection: "everything", minutes: 5, reason: "to be withdrawn" });
  const otherId = ((await other.json()) as { id: string }).id;
  expect((await bob.post(`/access-requests/${otherId}/cancel`)).status()).toBe(403);
  expect(((await (await alice.post(`/access-requests/${otherId}/cancel`)).json()) as { status: string }).status).toBe("CANCELLED");
  expect((await bob.get(`/access-requests/${otherId}`)).status()).toBe(200);

  const self = await alice.post(`/access-requests/${id}/approve`);
  expect(self.status()).toBe(403);

  const approved = await bob.post(`/access-requests/${id}/approve`, { comment: "fine" });
  expect(approved.status()).toBe(200);
  const body = (await approved.json()) as { status: string; grant: { id: string; status: string } };
  expect(body.status).toBe("APPROVED");
  expect(body.grant.status).toBe("ACTIVE");

  const notYours = await bob.post(`/grants/${body.grant.id}/tokens`);
  expect(notYours.status()).toBe(403);
  const minted = await alice.post(`/grants/${body.grant.id}/tokens`);
  expect(minted.status()).toBe(201);
  expect(minted.headers()["cache-control"]).toContain("no-store");
  expect(((await minted.json()) as { token: string }).token).toMatch(/^tgg_/);

  const revoked = await bob.post(`/grants/${body.grant.id}/revoke`);
  expect(((await revoked.json()) as { status: string }).status).toBe("REVOKED");

  expect((await alice.get("/sessions")).status()).toBe(200);
  const openapi = await request.get(`${portalUrl()}/api/v1/openapi.json`);
  expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\.1/);
});

test("errors: 400 names the field, 401 without a token, 403 for the wrong role", async ({ request }) => {
  const alice = api(request, "alice");
  const bad = await alice.post("/access-requests", { connection: "everything", minutes: 0, reason: "x y z" });
  expect(bad.status()).toBe(400);
  expect(await bad.json()).toMatchObject({ error: { code: "BAD_REQUEST", field: "minutes" } });

  const tooLong = await alice.post("/access-requests", { connection: "everything", minutes: 10_000, reason: "a long time" });
  expect(tooLong.status()).toBe(400);
  expect(((await tooLong.json()) as { error: { message: string } }).error.message).toMatch(/at most 60/);

  const anonymous = await api(request, null).get("/connections");
  expect(anonymous.status()).toBe(401);
  const forged = await request.get(`${portalUrl()}/api/v1/connections`, { headers: { authorization: "Bearer tg_forged" } });
  expect(forged.status()).toBe(401);

  const notAdmin = await alice.post("/connections", { slug: "x", name: "X", transport: "stdio", command: "true" });
  expect(notAdmin.status()).toBe(403);
  const notApprover = await alice.get("/access-requests?scope=pending");
  expect(notApprover.status()).toBe(403);

  const carol = api(request, "carol");
  const invalid = await carol.post("/connections", { slug: "Bad Slug", name: "X", transport: "stdio", command: "true" });
  expect(invalid.status()).toBe(400);
  expect(await invalid.json()).toMatchObject({ error: { field: "slug" } });
  const created = await carol.post("/connections", {
    slug: "api-made",
    name: "Made by API",
    transport: "streamable-http",
    url: "https://mcp.example.com/mcp",
    headers: { Authorization: "Bearer never-shown" },
    maxMinutes: 30,
  });
  expect(created.status()).toBe(201);
  const text = await created.text();
  expect(text).not.toContain("never-shown");
  expect(JSON.parse(text)).toMatchObject({ slug: "api-made", hasCredential: true });
  const listed = await (await alice.get("/connections")).text();
  expect(listed).not.toContain("never-shown");
});

test("PATCH a connection: admins only, fixed slug, fields that fit the transport, write-only credential", async ({ request }) => {
  const carol = api(request, "carol");
  const alice = api(request, "alice");
  const created = await carol.post("/connections", {
    slug: "api-patched",
    name: "Patched",
    transport: "streamable-http",
    url: "https://mcp.example.com/a",
  });
  expect(created.status()).toBe(201);

  expect((await alice.patch("/connections/api-patched", { name: "Mine" })).status()).toBe(403);
  expect((await carol.patch("/connections/no-such-thing", { name: "x" })).status()).toBe(404);
  for (const [body, field] of [
    [{ slug: "renamed" }, "slug"],
    [{ transport: "stdio" }, "transport"],
    [{ command: "node" }, "command"],
    [{ maxMinutes: 0 }, "maxMinutes"],
  ] as const) {
    const bad = await carol.patch("/connections/api-patched", body);
    expect(bad.status(), JSON.stringify(body)).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: "BAD_REQUEST", field } });
  }
  const empty = await carol.patch("/connections/api-patched", {});
  expect(empty.status()).toBe(400);
  expect(((await empty.json()) as { error: { message: string } }).error.message).toMatch(/^Nothing to change/);

  const changed = await carol.patch("/connections/api-patched", { maxMinutes: 20, headers: { Authorization: "Bearer patched-secret" } });
  expect(changed.status()).toBe(200);
  const text = await changed.text();
  expect(text).not.toContain("patched-secret");
  expect(JSON.parse(text)).toMatchObject({ slug: "api-patched", maxMinutes: 20, hasCredential: true });
  const one = await alice.get("/connections/api-patched");
  expect(one.status()).toBe(200);
  expect(await one.json()).toMatchObject({ slug: "api-patched", maxMinutes: 20, hasCredential: true });

  const openapi = (await (await request.get(`${portalUrl()}/api/v1/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  expect(Object.keys(openapi.paths["/api/v1/connections/{slug}"]!)).toEqual(["get", "patch"]);
});
