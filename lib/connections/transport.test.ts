import { describe, expect, it } from "vitest";
import { Transport } from "../db/generated/enums.ts";
import { TRANSPORT_NAMES, transportEnum, transportName } from "./transport.ts";

describe("transport mapping", () => {
  it("maps every stored transport to its API name and back", () => {
    for (const stored of Object.values(Transport)) expect(transportEnum(transportName(stored))).toBe(stored);
    expect(transportName("STDIO")).toBe("stdio");
    expect(transportName("STREAMABLE_HTTP")).toBe("streamable-http");
    expect(Object.keys(TRANSPORT_NAMES).sort()).toEqual(["sse", "stdio", "streamable-http", "websocket"]);
    expect(transportName("SSE")).toBe("sse");
    expect(transportName("WEBSOCKET")).toBe("websocket");
  });
});
