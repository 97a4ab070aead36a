import { describe, expect, it } from "vitest";
import { GatewayError } from "../errors.ts";
import { checkOrigin, isLoopbackHost, originPolicy } from "./check-origin.ts";

const loopback = originPolicy({ bindHost: "127.0.0.1", port: 8080, allowedOrigins: [], allowedHosts: [] });
const refused = (policy: ReturnType<typeof originPolicy>, headers: Record<string, string>) => {
  try {
    checkOrigin(policy, headers);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  return null;
};

describe("checkOrigin", () => {
  it("on loopback accepts localhost hosts and origins on any port, and requests without an Origin", () => {
    for (const name of ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "localhost", "LOCALHOST:3000"]) {
      expect(refused(loopback, { host: name, origin: `http://${name}` })).toBeNull();
    }
    expect(refused(loopback, { host: "localhost:8080", origin: "https://localhost:5173" })).toBeNull();
    expect(refused(loopback, { host: "127.0.0.1:8080" })).toBeNull();
    expect(refused(loopback, {})).toBeNull();
  });

  it("refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, saying which header and what to do", () => {
    const host = refused(loopback, { host: "evil.example.com", origin: "http://evil.example.com" });
    expect([host?.status, host?.kind, host?.data]).toEqual([403, "FORBIDDEN_ORIGIN", { header: "host" }]);
    expect(host?.message).toMatch(/Host "evil.example.com" is not a name of this gateway.*DNS rebinding.*GATEWAY_ALLOWED_HOSTS/);
    const origin = refused(loopback, { host: "localhost:8080", origin: "https://evil.example.com" });
    expect([origin?.status, origin?.data]).toEqual([403, { header: "origin" }]);
    expect(origin?.message).toMatch(/Origin "https:\/\/evil.example.com" is not allowed.*GATEWAY_ALLOWED_ORIGINS or from localhost/);
    for (const bad of ["null", "http://localhost.evil.com", "http://127.0.0.1.nip.io:8080", "file://", "http://localhost:80/path"]) {
      expect(refused(loopback, { host: "localhost:8080", origin: bad })?.data).toEqual({ header: "origin" });
    }
    for (const bad of ["localhost.evil.com", "user@localhost", "localhost/x", "127.0.0.2.evil:1", ""]) {
      expect(refused(loopback, { host: bad })?.data).toEqual({ header: "host" });
    }
  });

  it("accepts the public URL's host and allow-listed hosts and origins; localhost origins only on loopback", () => {
    const wide = originPolicy({
      bindHost: "0.0.0.0",
      port: 8080,
      publicUrl: "https://mcp.example.com",
      allowedOrigins: ["https://app.example.com"],
      allowedHosts: ["gw.internal", "10.0.0.5:8080"],
    });
    expect(refused(wide, { host: "mcp.example.com", origin: "https://app.example.com" })).toBeNull();
    expect(refused(wide, { host: "gw.internal:9999" })).toBeNull();
    expect(refused(wide, { host: "10.0.0.5:8080" })).toBeNull();
    expect(refused(wide, { host: "10.0.0.5:8081" })?.data).toEqual({ header: "host" });
    expect(refused(wide, { host: "mcp.example.com:8443" })?.data).toEqual({ header: "host" });
    expect(refused(wide, { host: "localhost:8080" })).toBeNull();
    expect(refused(wide, { host: "localhost:8080", origin: "http://localhost:8080" })?.data).toEqual({ header: "origin" });

    const bound = originPolicy({ bindHost: "10.1.2.3", port: 8080, allowedOrigins: ["*"], allowedHosts: [] });
    expect(refused(bound, { host: "10.1.2.3:8080", origin: "https://anything.example" })).toBeNull();
    expect(refused(bound, { host: "10.1.2.3:9090" })?.data).toEqual({ header: "host" });
    const any = originPolicy({ bindHost: "0.0.0.0", port: 1, allowedOrigins: [], allowedHosts: ["*"] });
    expect(refused(any, { host: "whatever.example" })).toBeNull();
  });

  it("knows loopback bind addresses", () => {
    expect(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"].every(isLoopbackHost)).toBe(true);
    expect(["0.0.0.0", "10.0.0.1", "::", "example.com"].some(isLoopbackHost)).toBe(false);
  });
});
