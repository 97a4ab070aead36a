import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import {
  checkedLookup,
  fetchMetadataDocument,
  isBlockedAddress,
  metadataDocumentUrlProblem,
  pinnedFetch,
  validateMetadataDocument,
} from "./client-metadata-document.ts";
import { OAuthError } from "./errors.ts";
import { s256, verifyPkce } from "./pkce.ts";
import { clientAddress, RegistrationLimiter, TokenBuckets } from "./rate-limit.ts";
import { readOAuthBody } from "./read-body.ts";
import { isRegisteredRedirectUri, redirectUriProblem } from "./redirect-uri.ts";
import { parseResource } from "./resource.ts";
import { authorizationServerMetadata } from "./settings.ts";

const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

describe("PKCE (S256 only)", () => {
  it("accepts the RFC 7636 appendix B example and nothing else", () => {
    expect(s256(VERIFIER)).toBe("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    expect(verifyPkce(VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).toBe(true);
    expect(verifyPkce(`${VERIFIER.slice(0, -1)}l`, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")).toBe(false);
    // plain: the verifier as its own challenge never matches.
    expect(verifyPkce(VERIFIER, VERIFIER)).toBe(false);
    // Too short a verifier is refused even when it hashes right.
    expect(verifyPkce("short", s256("short"))).toBe(false);
  });
});

describe("redirect URIs", () => {
  it("registers https and loopback http, refuses the rest with a reason", () => {
    expect(redirectUriProblem("https://client.example.com/cb")).toBeNull();
    expect(redirectUriProblem("http://127.0.0.1:33418/callback")).toBeNull();
    expect(redirectUriProblem("http://localhost:8080/cb")).toBeNull();
    expect(redirectUriProblem("http://[::1]:8080/cb")).toBeNull();
    expect(redirectUriProblem("com.example.app:/oauth")).toBeNull();
    expect(redirectUriProblem("http://evil.example.com/cb")).toMatch(/non-loopback/);
    expect(redirectUriProblem("https://client.example.com/cb#frag")).toMatch(/fragment/);
    expect(redirectUriProblem("javascript:alert(1)")).toMatch(/cannot be redirect/);
    expect(redirectUriProblem("https://user:pw@client.example.com/cb")).toMatch(/credentials/);
    expect(redirectUriProblem("/relative")).toMatch(/not an absolute URL/);
  });
  it("matches exactly: no prefix, no trailing slash, no other port", () => {
    const registered = ["http://127.0.0.1:33418/callback"];
    expect(isRegisteredRedirectUri(registered, "http://127.0.0.1:33418/callback")).toBe(true);
    expect(isRegisteredRedirectUri(registered, "http://127.0.0.1:33418/callback/")).toBe(false);
    expect(isRegisteredRedirectUri(registered, "http://127.0.0.1:33418/callback?x=1")).toBe(false);
    expect(isRegisteredRedirectUri(registered, "http://127.0.0.1:33419/callback")).toBe(false);
  });
});

describe("resource (RFC 8707)", () => {
  const gateway = "http://localhost:8090";
  it("names a connection endpoint of this gateway, byte for byte", () => {
    expect(parseResource("http://localhost:8090/mcp/everything", gateway)).toEqual({
      resource: "http://localhost:8090/mcp/everything",
      transport: "mcp",
      slug: "everything",
    });
    expect(parseResource("ws://localhost:8090/ws/everything", gateway)?.transport).toBe("ws");
    expect(parseResource("http://localhost:8090/sse/everything", gateway)?.transport).toBe("sse");
    for (const other of [
      "http://localhost:8090/mcp/everything/",
      "http://localhost:8090/mcp/everything?x=1",
      "http://127.0.0.1:8090/mcp/everything",
      "https://localhost:8090/mcp/everything",
      "http://localhost:8090/ws/everything",
      "http://localhost:8090/",
      "http://localhost:8090",
      "http://LOCALHOST:8090/mcp/everything",
      "not a url",
    ]) {
      expect(parseResource(other, gateway), other).toBeNull();
    }
  });
});

describe("client ID metadata documents", () => {
  const url = "https://client.example.com/oauth/metadata.json";
  const good = { client_id: url, client_name: "Example", redirect_uris: ["http://127.0.0.1:4000/cb"], token_endpoint_auth_method: "none" };
  const serve =
    (body: string, init: ResponseInit = {}) =>
    async () =>
      new Response(body, { headers: { "content-type": "application/json" }, ...init });

  it("refuses URLs that cannot be client ids", () => {
    expect(metadataDocumentUrlProblem(url)).toBeNull();
    expect(metadataDocumentUrlProblem("http://client.example.com/m.json")).toMatch(/https/);
    expect(metadataDocumentUrlProblem("https://client.example.com/")).toMatch(/path/);
    expect(metadataDocumentUrlProblem("https://client.example.com/m.json#x")).toMatch(/fragment/);
    expect(metadataDocumentUrlProblem("https://127.0.0.1/m.json")).toMatch(/public host/);
    expect(metadataDocumentUrlProblem("https://10.1.2.3/m.json")).toMatch(/public host/);
    expect(metadataDocumentUrlProblem("https://localhost/m.json")).toMatch(/public host/);
    expect(metadataDocumentUrlProblem("https://a.example.com/x/../m.json")).toMatch(/dot segments/);
  });
  it("validates client_id, redirect URIs and the absence of secrets", () => {
    expect(validateMetadataDocument(url, good).redirect_uris).toEqual(["http://127.0.0.1:4000/cb"]);
    expect(() => validateMetadataDocument(url, { ...good, client_id: "https://other.example.com/m.json" })).toThrow(
      /client_id is not the URL/,
    );
    expect(() => validateMetadataDocument(url, { ...good, redirect_uris: ["http://evil.example.com/cb"] })).toThrow(/non-loopback/);
    expect(() => validateMetadataDocument(url, { ...good, client_secret: "x" })).toThrow(/secret/);
    expect(() => validateMetadataDocument(url, { ...good, token_endpoint_auth_method: "client_secret_post" })).toThrow(/cannot be used/);
    expect(() => validateMetadataDocument(url, [])).toThrow(/not a JSON object/);
  });
  it("fetches with a size limit, no redirects, and clear failures", async () => {
    let init: RequestInit | undefined;
    const metadata = await fetchMetadataDocument(url, {
      fetch: async (_url, requestInit) => {
        init = requestInit;
        return new Response(JSON.stringify(good));
      },
    });
    expect(metadata.client_name).toBe("Example");
    expect(init?.redirect).toBe("error");
    expect(init?.signal).toBeDefined();
    const big = JSON.stringify({ ...good, client_name: "x".repeat(6000) });
    await expect(fetchMetadataDocument(url, { fetch: serve(big) })).rejects.toThrow(/larger than 5120 bytes/);
    await expect(fetchMetadataDocument(url, { fetch: serve("nope", { status: 404 }) })).rejects.toThrow(/HTTP 404/);
    await expect(fetchMetadataDocument(url, { fetch: serve("{not json") })).rejects.toThrow(/not JSON/);
    await expect(
      fetchMetadataDocument(url, {
        fetch: () => new Promise((_, reject) => setTimeout(() => reject(new DOMException("timed out", "TimeoutError")), 10)),
      }),
    ).rejects.toThrow(/could not be fetched \(TimeoutError\)/);
    await expect(fetchMetadataDocument(url, { fetch: serve(big) })).rejects.toBeInstanceOf(OAuthError);
  });
  it("refuses a public name that resolves into the private network", async () => {
    const fetch = async () => new Response(JSON.stringify(good));
    const at = (address: string) => async () => [{ address }];
    await expect(fetchMetadataDocument(url, { fetch, lookup: at("10.0.0.5") })).rejects.toThrow(/private address/);
    await expect(fetchMetadataDocument(url, { fetch, lookup: at("127.0.0.1") })).rejects.toThrow(/private address/);
    await expect(fetchMetadataDocument(url, { fetch, lookup: at("::ffff:192.168.1.1") })).rejects.toThrow(/private address/);
    await expect(
      fetchMetadataDocument(url, {
        fetch,
        lookup: async () => {
          throw new Error("ENOTFOUND");
        },
      }),
    ).rejects.toThrow(/does not resolve/);
    expect((await fetchMetadataDocument(url, { fetch, lookup: at("93.184.216.34") })).client_name).toBe("Example");
  });
});

describe("authorization server metadata (RFC 8414)", () => {
  it("advertises only what is implemented", () => {
    const metadata = authorizationServerMetadata({ issuer: "http://127.0.0.1:3000", gatewayOrigin: "http://localhost:8090" });
    expect(metadata).toMatchObject({
      issuer: "http://127.0.0.1:3000",
      authorization_endpoint: "http://127.0.0.1:3000/oauth/authorize",
      token_endpoint: "http://127.0.0.1:3000/oauth/token",
      registration_endpoint: "http://127.0.0.1:3000/oauth/register",
      response_types_supported: ["code"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none"],
      authorization_response_iss_parameter_supported: true,
      client_id_metadata_document_supported: true,
    });
  });
});

describe("OAuth request bodies", () => {
  const form = "application/x-www-form-urlencoded";
  const request = (body: ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) => ({
    headers: new Headers({ "content-type": form, ...headers }),
    body,
  });
  const streamOf = (...chunks: Array<Uint8Array | Error>) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) {
          if (chunk instanceof Error) return controller.error(chunk);
          controller.enqueue(chunk);
        }
        controller.close();
      },
    });
  it("reads a body within the limit", async () => {
    expect(await readOAuthBody(request(streamOf(new TextEncoder().encode("a=1"))), form)).toBe("a=1");
  });
  it("says what went wrong: too large, a broken connection, a malformed Content-Length", async () => {
    await expect(readOAuthBody(request(streamOf(new Uint8Array(20 * 1024))), form)).rejects.toMatchObject({
      error: "invalid_request",
      description: expect.stringMatching(/exceeds 16384 bytes/),
    });
    await expect(readOAuthBody(request(null, { "content-length": "99999" }), form)).rejects.toThrow(/exceeds 16384 bytes/);
    const broken = readOAuthBody(request(streamOf(new Uint8Array(10), new Error("aborted"))), form);
    await expect(broken).rejects.toMatchObject({ error: "invalid_request", description: expect.stringMatching(/could not be read/) });
    await expect(broken).rejects.not.toThrow(/exceeds/);
    await expect(readOAuthBody(request(null, { "content-length": "1, 2" }), form)).rejects.toThrow(/Content-Length/);
    await expect(readOAuthBody(request(null, { "content-type": "text/plain" }), form)).rejects.toThrow(/must be application/);
  });
});

describe("client ID metadata documents: where they may be fetched from", () => {
  const url = "https://client.example.com/oauth/metadata.json";
  const good = { client_id: url, client_name: "Example", redirect_uris: ["http://127.0.0.1:4000/cb"] };
  it("refuses every private, shared, reserved and multicast range, and the IPv6 prefixes that can carry one", () => {
    for (const address of [
      "0.1.2.3",
      "10.0.0.1",
      "100.64.0.1",
      "100.100.100.200",
      "100.127.255.255",
      "127.0.0.1",
      "169.254.169.254",
      "172.16.0.1",
      "192.168.1.1",
      "198.18.0.1",
      "198.19.255.255",
      "224.0.0.1",
      "239.255.255.250",
      "240.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "::ffff:10.0.0.1",
      "::ffff:a9fe:a9fe",
      "::ffff:100.64.0.1",
      "64:ff9b::a9fe:a9fe",
      "64:ff9b::8.8.8.8",
      "fc00::1",
      "fd12:3456::1",
      "fe80::1",
      "febf::1",
      "ff02::1",
      "[fd00::1]",
    ]) {
      expect(isBlockedAddress(address), address).toBe(true);
    }
    for (const address of [
      "8.8.8.8",
      "93.184.216.34",
      "100.63.255.255",
      "100.128.0.1",
      "198.20.0.1",
      "2606:4700::1111",
      "::ffff:8.8.8.8",
    ]) {
      expect(isBlockedAddress(address), address).toBe(false);
    }
    expect(metadataDocumentUrlProblem("https://100.64.0.1/m.json")).toMatch(/public host/);
    expect(metadataDocumentUrlProblem("https://[fd00::1]/m.json")).toMatch(/public host/);
    expect(metadataDocumentUrlProblem("https://[64:ff9b::a9fe:a9fe]/m.json")).toMatch(/public host/);
    expect(metadataDocumentUrlProblem("https://[ff02::1]/m.json")).toMatch(/public host/);
  });
  it("checks every resolved address at connect time, so a second DNS answer cannot rebind", async () => {
    const answers = [[{ address: "93.184.216.34" }], [{ address: "93.184.216.34" }, { address: "100.100.100.200" }]];
    let resolutions = 0;
    const resolve = async () => answers[Math.min(resolutions++, answers.length - 1)]!;
    const lookup = checkedLookup(resolve);
    const ask = () =>
      new Promise<unknown>((done, fail) =>
        lookup("rebind.example.com", { all: true }, (error, addresses) => (error ? fail(error) : done(addresses))),
      );
    expect(await ask()).toEqual([{ address: "93.184.216.34", family: 4 }]);
    await expect(ask()).rejects.toThrow(/private address/);
    // The default fetch connects through that lookup: a name resolving to a private address is never connected to.
    await expect(fetchMetadataDocument(url, { lookup: async () => [{ address: "127.0.0.1" }] })).rejects.toMatchObject({
      error: "invalid_client",
      description: expect.stringMatching(/private address/),
    });
    await expect(fetchMetadataDocument(url, { lookup: async () => [{ address: "fd00::1" }] })).rejects.toThrow(/private address/);
  });
  it("fetches over the pinned connection from the checked address", async () => {
    const server = createServer((_request, response) => response.end(JSON.stringify({ ...good, client_id: "x" })));
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    try {
      const port = (server.address() as AddressInfo).port;
      let resolved = 0;
      // The test's own resolver: a made-up name that only it knows; 127.0.0.1 is refused like any private address.
      const fetcher = pinnedFetch(async () => {
        resolved += 1;
        return [{ address: "127.0.0.1" }];
      });
      await expect(fetcher(`http://doc.example.test:${port}/m.json`, {})).rejects.toThrow(/private address/);
      expect(resolved).toBe(1);
      // With loopback allowed (tests only), the request reaches the server at the address the resolver gave:
      // doc.example.test is never resolved by the system.
      const allowed = pinnedFetch(async () => [{ address: "127.0.0.1" }], { isBlocked: () => false });
      const response = await allowed(`http://doc.example.test:${port}/m.json`, {});
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ client_name: "Example" });
    } finally {
      server.close();
    }
  });
  it("a timeout while reading the body is invalid_client, not a server error", async () => {
    const slow = async (_url: string, init: RequestInit) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"client_id":'));
            init.signal?.addEventListener("abort", () => controller.error(init.signal?.reason));
          },
        }),
      );
    await expect(fetchMetadataDocument(url, { fetch: slow, timeoutMs: 50 })).rejects.toMatchObject({
      error: "invalid_client",
      description: expect.stringMatching(/could not be read to the end \(TimeoutError\)/),
    });
  });
});

describe("registration rate limit (token buckets, per portal process)", () => {
  it("allows a burst, then one per refill, and says when to retry", () => {
    const buckets = new TokenBuckets({ burst: 3, refillMs: 6000 });
    const t0 = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take("a", t0).allowed)).toEqual([true, true, true]);
    expect(buckets.take("a", t0)).toEqual({ allowed: false, retryAfterSeconds: 6 });
    expect(buckets.take("a", t0 + 4500)).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(buckets.take("b", t0).allowed).toBe(true);
    expect(buckets.take("a", t0 + 6000).allowed).toBe(true);
    expect(buckets.take("a", t0 + 6000).allowed).toBe(false);
  });
  it("limits each address and the total; forgets the least recent addresses past maxKeys", () => {
    const limiter = new RegistrationLimiter({ perAddress: { burst: 2, refillMs: 10_000 }, total: { burst: 3, refillMs: 1000 } });
    const t0 = 5_000_000;
    expect(limiter.take("1.1.1.1", t0).allowed).toBe(true);
    expect(limiter.take("1.1.1.1", t0).allowed).toBe(true);
    expect(limiter.take("1.1.1.1", t0)).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
    expect(limiter.take("2.2.2.2", t0).allowed).toBe(true);
    // The total is spent: any other address waits a second.
    expect(limiter.take("3.3.3.3", t0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take("3.3.3.3", t0 + 1000).allowed).toBe(true);
    const few = new TokenBuckets({ burst: 1, refillMs: 60_000, maxKeys: 2 });
    few.take("x", t0);
    few.take("y", t0);
    few.take("z", t0);
    expect(few.take("x", t0).allowed).toBe(true);
  });
  it("keys on the address the nearest proxy saw", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "6.6.6.6, 10.0.0.9" }))).toBe("10.0.0.9");
    expect(clientAddress(new Headers({ "x-real-ip": "10.0.0.8" }))).toBe("10.0.0.8");
    expect(clientAddress(new Headers())).toBe("unknown");
  });
});
