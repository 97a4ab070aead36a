import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type APIRequestContext, expect, test } from "@playwright/test";
import { apiAs, gatewayUrl, portalUrl } from "../helpers.ts";

// The `@modelcontextprotocol/conformance` `authorization` suite against the portal's authorization
// server, with Playwright as the browser that signs in and approves. Not part of `npm test`: it
// needs Node 22 and the suite outside the project (playwright.conformance.config.ts):
//   TOLLGATE_CONFORMANCE_NODE=/path/to/node22 TOLLGATE_CONFORMANCE_CLI=/path/to/conformance/dist/index.js \
//   npm run conformance:auth

const NODE = process.env.TOLLGATE_CONFORMANCE_NODE;
const CLI = process.env.TOLLGATE_CONFORMANCE_CLI;

/** alice gives up the grant this spec gave her, so other specs start from none. */
async function giveUpGrants(request: APIRequestContext): Promise<void> {
  const alice = apiAs(request, "alice");
  const grants = (await (await alice.get("/grants?scope=mine&active=true")).json()) as Array<{ id: string }>;
  for (const grant of grants) await alice.post(`/grants/${grant.id}/revoke`, { reason: "conformance suite done" });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

if (!NODE || !CLI) {
  throw new Error("Set TOLLGATE_CONFORMANCE_NODE (a Node 22 binary) and TOLLGATE_CONFORMANCE_CLI (the conformance suite's dist/index.js).");
}

test("conformance: authorization server scenarios", async ({ page, request }) => {
  test.setTimeout(180_000);
  const port = await freePort();
  const redirect = `http://127.0.0.1:${port}/callback`;
  const registered = await request.post(`${portalUrl()}/oauth/register`, {
    data: { client_name: "MCP conformance suite", redirect_uris: [redirect] },
  });
  const { client_id } = (await registered.json()) as { client_id: string };
  // alice holds a grant, so the consent page asks only to allow the client.
  const alice = apiAs(request, "alice");
  const created = (await (
    await alice.post("/access-requests", { connection: "everything", minutes: 10, reason: "conformance suite" })
  ).json()) as { id: string };
  expect((await apiAs(request, "bob").post(`/access-requests/${created.id}/approve`, {})).status()).toBe(200);

  const output = await mkdtemp(path.join(tmpdir(), "tollgate-conformance-"));
  const child = spawn(
    NODE!,
    [
      CLI!,
      "authorization",
      "--url",
      new URL(portalUrl()).origin,
      "--client-id",
      client_id,
      "--resource",
      `${gatewayUrl()}/mcp/everything`,
      "--port",
      String(port),
      "-o",
      output,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const authorizationUrl = new Promise<string>((resolve) => {
    child.stdout.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /^(http\S+\/oauth\/authorize\?\S+)$/m.exec(log);
      if (match) resolve(match[1]!);
    });
  });
  child.stderr.on("data", (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise<number>((resolve) => child.once("exit", (code) => resolve(code ?? -1)));

  await page.goto(await authorizationUrl);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator('input[name="login"]').fill("alice@example.com");
  await page.locator('input[name="password"]').fill("tollgate-dev");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Approve" }).click();
  const code = await exited;
  console.log(log);
  const files = await readdir(output, { recursive: true });
  for (const file of files.filter((name) => name.endsWith(".json"))) console.log(file, await readFile(path.join(output, file), "utf8"));
  await giveUpGrants(request);
  expect(code, log).toBe(0);
});
