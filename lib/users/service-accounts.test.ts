import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JwksServer, makeKey, startJwksServer, type TestKey } from "../../test/jwks-server.ts";
import { createTestDatabase, type TestDatabase } from "../../test/postgres.ts";
import { AppError } from "../errors.ts";
import { JwtVerifier } from "../tokens/jwt-verifier.ts";
import { authenticateApiJwt, InvalidBearerTokenError } from "./service-accounts.ts";

let t: TestDatabase;
let idp: JwksServer;
let key: TestKey;

beforeAll(async () => {
  t = await createTestDatabase();
  key = await makeKey("key-1");
  idp = await startJwksServer([key]);
});
afterAll(async () => {
  await idp?.close();
  await t?.drop();
});

describe("the REST API's JWT path", () => {
  it("answers 503 (retry), not 401 (re-authenticate), when the issuer's keys cannot be fetched", async () => {
    const down = new JwtVerifier({ issuers: [{ issuer: "http://127.0.0.1:1" }], audiences: ["tollgate"], timeoutMs: 500 });
    const token = await idp.sign(key, { iss: "http://127.0.0.1:1", sub: "ci-bot" });
    const error = await authenticateApiJwt(t.db, token, down).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).not.toBeInstanceOf(InvalidBearerTokenError);
    expect((error as AppError).code).toBe("UNAVAILABLE");
    expect((error as AppError).message).toMatch(/could not be fetched|could not be read/);
  });

  it("still answers 401 for a token the reachable issuer did not sign", async () => {
    const verifier = new JwtVerifier({ issuers: [{ issuer: idp.issuer }], audiences: ["tollgate"], jwksCooldownMs: 0 });
    const stranger = await makeKey("key-2");
    const token = await idp.sign(stranger, { sub: "ci-bot" });
    await expect(authenticateApiJwt(t.db, token, verifier)).rejects.toBeInstanceOf(InvalidBearerTokenError);
  });
});
