import { describe, expect, it } from "vitest";
import { assertSameOriginWrite, originOf } from "./csrf.ts";

const PORTAL = "https://tollgate.example.com";
const check = (headers: Record<string, string>) => () => assertSameOriginWrite(new Headers(headers), [PORTAL]);

describe("assertSameOriginWrite", () => {
  it("lets the portal's own pages write", () => {
    expect(check({ "sec-fetch-site": "same-origin", origin: PORTAL })).not.toThrow();
    expect(check({ "sec-fetch-site": "same-origin" })).not.toThrow();
    // Browsers without Fetch Metadata still send Origin on a POST.
    expect(check({ origin: PORTAL })).not.toThrow();
  });

  it("refuses a request with neither Origin nor Sec-Fetch-Site, and says why", () => {
    expect(check({})).toThrow(
      expect.objectContaining({ code: "FORBIDDEN", message: expect.stringMatching(/neither an Origin nor a Sec-Fetch-Site/) }),
    );
  });

  it("refuses cross-site, same-site from another origin, and user-initiated requests", () => {
    const cases: Array<Record<string, string>> = [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      // A lying Origin does not make a cross-site request same-origin.
      { "sec-fetch-site": "cross-site", origin: PORTAL },
      { "sec-fetch-site": "same-site", origin: "https://other.example.com" },
      { "sec-fetch-site": "same-site" },
      { "sec-fetch-site": "none" },
      { "sec-fetch-site": "bogus" },
    ];
    for (const headers of cases) {
      expect(check(headers), JSON.stringify(headers)).toThrow(
        expect.objectContaining({ code: "FORBIDDEN", message: expect.stringMatching(/Sec-Fetch-Site is/) }),
      );
    }
  });

  it("refuses an Origin that is not the portal's", () => {
    for (const origin of ["https://evil.example", "null", "https://tollgate.example.com.evil.example", "http://tollgate.example.com"]) {
      expect(check({ origin }), origin).toThrow(expect.objectContaining({ code: "FORBIDDEN", message: expect.stringMatching(/Origin/) }));
      expect(check({ origin, "sec-fetch-site": "same-origin" }), origin).toThrow(expect.objectContaining({ code: "FORBIDDEN" }));
    }
  });

  it("accepts same-site only with one of the allowed origins", () => {
    const other = "https://portal.example.com";
    expect(() => assertSameOriginWrite(new Headers({ "sec-fetch-site": "same-site", origin: other }), [PORTAL, other])).not.toThrow();
  });
});

describe("originOf", () => {
  it("normalizes a URL to its origin", () => {
    expect(originOf("https://Tollgate.example.com:443/path/")).toBe(PORTAL);
    expect(originOf("http://127.0.0.1:3000/")).toBe("http://127.0.0.1:3000");
    expect(originOf(undefined)).toBeNull();
    expect(originOf("not a url")).toBeNull();
  });
});
