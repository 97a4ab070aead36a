import http from "node:http";
import type { AddressInfo } from "node:net";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { ClientHttpTransport } from "./client-transport.ts";

// The lean Streamable HTTP server side on its own: an HTTP server hands every request to one
// transport; `onmessage` plays the session.

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(transport: ClientHttpTransport): Promise<string> {
  server = http.createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => void transport.handleRequest(req, res, text ? JSON.parse(text) : undefined));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/mcp`;
}

const headers = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };

describe("ClientHttpTransport", () => {
  it("answers JSON when the answer comes first, SSE when a related message comes first, 202 for notifications", async () => {
    const transport = new ClientHttpTransport("s1");
    transport.onmessage = (message) => {
      if (!("id" in message) || !("method" in message)) return;
      if (message.method === "tools/call")
        void transport.send(
          { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: 1 } },
          { relatedRequestId: message.id },
        );
      void transport.send({ jsonrpc: "2.0", id: message.id, result: { method: message.method } } as JSONRPCMessage);
    };
    const url = await serve(transport);
    const json = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }) });
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(await json.json()).toEqual({ jsonrpc: "2.0", id: 1, result: { method: "tools/list" } });

    const sse = await fetch(url, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call" }) });
    expect(sse.headers.get("content-type")).toContain("text/event-stream");
    const text = await sse.text();
    expect(text.indexOf("notifications/progress")).toBeLessThan(text.indexOf('"id":2'));

    const batch = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 3, method: "a" },
        { jsonrpc: "2.0", id: 4, method: "b" },
      ]),
    });
    expect(await batch.json()).toEqual([
      { jsonrpc: "2.0", id: 3, result: { method: "a" } },
      { jsonrpc: "2.0", id: 4, result: { method: "b" } },
    ]);

    const note = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    expect(note.status).toBe(202);
    const refused = await fetch(url, { method: "POST", headers: { ...headers, accept: "application/json" }, body: "{}" });
    expect(refused.status).toBe(406);
    const version = await fetch(url, { method: "POST", headers: { ...headers, "mcp-protocol-version": "1999-01-01" }, body: "{}" });
    expect(version.status).toBe(400);
  });

  it("GET stream: priming event with id and retry, Last-Event-ID replays only that stream's later events", async () => {
    const transport = new ClientHttpTransport("s2");
    const url = await serve(transport);
    const get = (lastEventId?: string) => {
      const abort = new AbortController();
      const response = fetch(url, {
        signal: abort.signal,
        headers: {
          accept: "text/event-stream",
          "mcp-protocol-version": "2025-11-25",
          ...(lastEventId ? { "last-event-id": lastEventId } : {}),
        },
      });
      return { response, abort };
    };
    /** Reads until `count` more complete events arrived. */
    const eventReader = (body: ReadableStream<Uint8Array>) => {
      const reader = body.getReader();
      return async (count: number) => {
        let text = "";
        while ((text.match(/\n\n/g) ?? []).length < count) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        return text;
      };
    };
    const first = get();
    const readEvents = eventReader((await first.response).body!);
    const priming = await readEvents(1);
    expect(priming).toMatch(/^id: \d+\nretry: \d+\ndata: \n\n/);
    await transport.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    await transport.send({ jsonrpc: "2.0", method: "notifications/resources/list_changed" });
    const events = await readEvents(2);
    const firstId = /id: (\d+)/.exec(events)![1]!;
    first.abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const resumed = get(firstId);
    const replay = await eventReader((await resumed.response).body!)(1);
    expect(replay).toContain("resources/list_changed");
    expect(replay).not.toContain("tools/list_changed");
    resumed.abort.abort();
  });
});
