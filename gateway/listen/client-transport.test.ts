import http from "node:http";
import type { AddressInfo } from "node:net";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, describe, expect, it } from "vitest";
import { ClientHttpTransport, ReplayLog } from "./client-transport.ts";

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
    expect(priming).toMatch(/^id: 0-\d+\nretry: \d+\ndata: \n\n/);
    await transport.send({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
    await transport.send({ jsonrpc: "2.0", method: "notifications/resources/list_changed" });
    const events = await readEvents(2);
    const firstId = /id: (0-\d+)/.exec(events)![1]!;
    first.abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));

    const resumed = get(firstId);
    const replay = await eventReader((await resumed.response).body!)(1);
    expect(replay).toContain("resources/list_changed");
    expect(replay).not.toContain("tools/list_changed");
    resumed.abort.abort();
  });

  it("POST streams: priming event and retry, ids per stream; a lost stream resumes with GET + Last-Event-ID, never another stream's events", async () => {
    const transport = new ClientHttpTransport("s3", { decideMs: 10 });
    const requests = new Map<string, JSONRPCMessage & { id: string }>();
    transport.onmessage = (message) => {
      if ("id" in message && "method" in message) requests.set(String(message.id), message as JSONRPCMessage & { id: string });
    };
    const url = await serve(transport);
    const call = (id: string) => {
      const abort = new AbortController();
      const response = fetch(url, {
        method: "POST",
        signal: abort.signal,
        headers,
        body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name: "slow" } }),
      });
      return { response, abort };
    };
    const reader = (body: ReadableStream<Uint8Array>) => {
      const read = body.getReader();
      let text = "";
      return async (count: number) => {
        while ((text.match(/\n\n/g) ?? []).length < count) {
          const { value, done } = await read.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        return text;
      };
    };
    const a = call("a");
    const b = call("b");
    const readA = reader((await a.response).body!);
    const readB = reader((await b.response).body!);
    // Both unanswered after decideMs: SSE, a priming event (id, retry, empty data) first.
    const primingA = /^id: (\d+-\d+)\nretry: 1000\ndata: \n\n$/.exec(await readA(1))![1]!;
    const primingB = /^id: (\d+-\d+)\nretry: 1000\ndata: \n\n$/.exec(await readB(1))![1]!;
    expect(primingA.split("-")[0]).not.toBe(primingB.split("-")[0]);

    const progress = (id: string, n: number) =>
      transport.send(
        { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: id, progress: n } },
        { relatedRequestId: id },
      );
    await progress("a", 1);
    const seenA = await readA(2);
    const lastA = [...seenA.matchAll(/^id: (\S+)$/gm)].at(-1)![1]!;
    expect(lastA).not.toBe(primingA);
    // The client loses A's stream; A's later messages (and B's) arrive meanwhile.
    a.abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await progress("a", 2);
    await progress("b", 1);
    await transport.send({ jsonrpc: "2.0", id: "b", result: { content: [{ type: "text", text: "B done" }] } } as JSONRPCMessage);
    await transport.send({ jsonrpc: "2.0", id: "a", result: { content: [{ type: "text", text: "A done" }] } } as JSONRPCMessage);
    const streamB = await readB(10);
    expect(streamB).toContain("B done");
    expect(streamB).not.toContain("A done");

    const resumed = await fetch(url, { headers: { ...headers, accept: "text/event-stream", "last-event-id": lastA } });
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get("content-type")).toContain("text/event-stream");
    // Only A's events after the client's last one; the stream ends with A's answer.
    const replay = await resumed.text();
    expect(replay).toContain('"progress":2');
    expect(replay).toContain("A done");
    expect(replay).not.toContain('"progress":1');
    expect(replay).not.toContain("B done");
    expect(replay).not.toContain(`${primingB.split("-")[0]}-`);

    // From the priming event: everything of A.
    const fromStart = await (await fetch(url, { headers: { ...headers, accept: "text/event-stream", "last-event-id": primingA } })).text();
    expect(fromStart).toContain('"progress":1');
    expect(fromStart).toContain("A done");
    // Ids this session never wrote: 400 for garbage, 404 for an unknown stream.
    expect((await fetch(url, { headers: { ...headers, accept: "text/event-stream", "last-event-id": "x" } })).status).toBe(400);
    expect((await fetch(url, { headers: { ...headers, accept: "text/event-stream", "last-event-id": "99-0" } })).status).toBe(404);
    expect(requests.size).toBe(2);
  });

  it("a lost stream that resumes before its answer gets the rest live", async () => {
    const transport = new ClientHttpTransport("s4", { decideMs: 10 });
    const url = await serve(transport);
    const abort = new AbortController();
    const response = await fetch(url, {
      method: "POST",
      signal: abort.signal,
      headers,
      body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "slow" } }),
    });
    const first = await response.body!.getReader().read();
    const priming = /^id: (\S+)/.exec(new TextDecoder().decode(first.value))![1]!;
    abort.abort();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const resumed = await fetch(url, { headers: { ...headers, accept: "text/event-stream", "last-event-id": priming } });
    const body = resumed.text();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await transport.send({ jsonrpc: "2.0", id: 7, result: { ok: true } } as JSONRPCMessage);
    expect(await body).toMatch(/^: resumed\n\nid: \d+-\d+\nevent: message\ndata: \{"jsonrpc":"2.0","id":7,"result":\{"ok":true\}\}\n\n$/);
  });

  it("older clients get ids but no priming event; sessionless streams are not resumable", async () => {
    const older = new ClientHttpTransport("s5", { decideMs: 10 });
    let url = await serve(older);
    const response = await fetch(url, {
      method: "POST",
      headers: { ...headers, "mcp-protocol-version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call" }),
    });
    setTimeout(() => void older.send({ jsonrpc: "2.0", id: 1, result: {} } as JSONRPCMessage), 30);
    expect(await response.text()).toMatch(/^id: \d+-0\nevent: message\ndata: /);
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server!.close(() => resolve()));

    const sessionless = new ClientHttpTransport("s6", { decideMs: 10, sessionless: true });
    url = await serve(sessionless);
    const stateless = await fetch(url, {
      method: "POST",
      headers: { ...headers, "mcp-protocol-version": "2026-07-28" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call" }),
    });
    setTimeout(() => void sessionless.send({ jsonrpc: "2.0", id: 1, result: {} } as JSONRPCMessage), 30);
    expect(await stateless.text()).toMatch(/^event: message\ndata: /);
  });
});

describe("ReplayLog", () => {
  it("keeps a bounded number of events, dropping notifications before responses", () => {
    const log = new ReplayLog(3, { events: 3, bytes: 1_000_000 });
    expect(log.add(null, 500)).toBe("id: 3-0\nretry: 500\ndata: \n\n");
    log.add({ jsonrpc: "2.0", id: 1, result: {} } as JSONRPCMessage);
    for (let i = 0; i < 5; i++) log.add({ jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1, progress: i } });
    const kept = log.after(0);
    expect(kept).toHaveLength(3);
    expect(kept[0]).toContain('"id":1');
    expect(kept[2]).toContain('"progress":4');
    expect(log.after(5)).toHaveLength(1);
  });
});
