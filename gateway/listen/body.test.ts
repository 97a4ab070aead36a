import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseJsonRpcBody, peekRequestId } from "./body.ts";

describe("parseJsonRpcBody", () => {
  it("accepts requests, notifications, responses and batches", () => {
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":"tools/list"}')).toMatchObject({ method: "tools/list" });
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","method":"notifications/initialized"}')).toBeTruthy();
    expect(parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"result":{}}')).toBeTruthy();
    expect(parseJsonRpcBody('[{"jsonrpc":"2.0","id":1,"method":"ping"}]')).toHaveLength(1);
  });

  it("rejects what is not JSON-RPC with a message that says what to send", () => {
    expect(() => parseJsonRpcBody("{nope")).toThrow(/not valid JSON/);
    expect(() => parseJsonRpcBody('{"id":1,"method":"x"}')).toThrow(/JSON-RPC 2.0/);
    expect(() => parseJsonRpcBody("[]")).toThrow(/JSON-RPC 2.0/);
    expect(() => parseJsonRpcBody('{"jsonrpc":"2.0","id":1,"method":5}')).toThrow(/JSON-RPC 2.0/);
  });

  it("bounds nesting depth without blowing the stack", () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    expect(() => parseJsonRpcBody(`{"jsonrpc":"2.0","id":1,"method":"x","params":{"a":${deep}}}`)).toThrow(/deeper than 64/);
  });
});

describe("peekRequestId", () => {
  /** A server that answers each request with what peekRequestId found; `send` writes the request. */
  async function peek(send: (req: http.ClientRequest) => void, options: { maxBytes?: number; ms?: number } = {}): Promise<unknown> {
    const server = http.createServer(async (req, res) => {
      const id = await peekRequestId(req, options);
      res.writeHead(200, { "content-type": "application/json", connection: "close" }).end(JSON.stringify({ id }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      return await new Promise((resolve, reject) => {
        const req = http.request({ port, host: "127.0.0.1", method: "POST", headers: { "content-type": "application/json" } }, (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => (text += chunk.toString()));
          res.on("end", () => resolve((JSON.parse(text) as { id: unknown }).id));
        });
        req.on("error", reject);
        send(req);
      });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  }

  it("names the request of a small body that arrives at once", async () => {
    expect(await peek((req) => req.end('{"jsonrpc":"2.0","id":"r-7","method":"tools/list"}'))).toBe("r-7");
    expect(await peek((req) => req.end('{"jsonrpc":"2.0","id":8,"method":"tools/list"}'))).toBe(8);
  });

  it("gives null for notifications, batches, garbage, large and slow bodies", async () => {
    expect(await peek((req) => req.end('{"jsonrpc":"2.0","method":"notifications/initialized"}'))).toBeNull();
    expect(await peek((req) => req.end('[{"jsonrpc":"2.0","id":1,"method":"ping"}]'))).toBeNull();
    expect(await peek((req) => req.end("{nope"))).toBeNull();
    const large = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "x", params: { pad: "x".repeat(2000) } });
    expect(await peek((req) => req.end(large), { maxBytes: 1000 })).toBeNull();
    expect(
      await peek(
        (req) => {
          req.write('{"jsonrpc":"2.0","id":1,');
          setTimeout(() => req.destroy(), 500);
        },
        { ms: 100 },
      ),
    ).toBeNull();
  });
});
