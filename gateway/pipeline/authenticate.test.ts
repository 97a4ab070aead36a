import { describe, expect, it } from "vitest";
import type { Db } from "../../lib/db/client.ts";
import { JwtVerifier } from "../../lib/tokens/jwt-verifier.ts";
import { makeKey, startJwksServer } from "../../test/jwks-server.ts";
import { GatewayError } from "../errors.ts";
import { authenticate } from "./authenticate.ts";

describe("authenticate: service-account JWTs", () => {
  it("answers 503 (not 401) when the issuer's keys cannot be fetched: the token may be fine", async () => {
    const key = await makeKey("k1");
    const idp = await startJwksServer([key]);
    const token = await idp.sign(key, { iss: "http://127.0.0.1:1", sub: "ci-bot" });
    await idp.close();
    const verifier = new JwtVerifier({ issuers: [{ issuer: "http://127.0.0.1:1" }], audiences: ["tollgate"], timeoutMs: 500 });
    const refusal = await authenticate({} as Db, { authorization: `Bearer ${token}` }, undefined, {
      verifier,
      connectionSlug: "everything",
    }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(GatewayError);
    expect(refusal).toMatchObject({ kind: "IDP_UNAVAILABLE", status: 503, data: { tokenError: "keys_unavailable" } });
    expect((refusal as GatewayError).message).toMatch(/signing keys|discovery document/);
  });
});
