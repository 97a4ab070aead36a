import { describe, expect, it } from "vitest";
import type { Direction } from "../db/generated/enums.ts";
import { chainHash, GENESIS_HASH } from "../hash.ts";
import type { EventRow, EventWriter } from "./event-writer.ts";
import { MAX_OPEN_REQUESTS, SessionRecorder } from "./session-recorder.ts";

// Pairing responses with their requests, without a database: a writer that keeps the rows.

function recorder(): { recorder: SessionRecorder; rows: EventRow[] } {
  const rows: EventRow[] = [];
  const writer = { write: async (row: EventRow) => void rows.push(row) } as unknown as EventWriter;
  return { recorder: new SessionRecorder(writer, "s1"), rows };
}

const request = (id: string | number, method = "tools/call") => ({ jsonrpc: "2.0", id, method, params: { name: "echo" } });
const result = (id: string | number) => ({ jsonrpc: "2.0", id, result: {} });
const error = (id: string | number) => ({ jsonrpc: "2.0", id, error: { code: -32000, message: "no" } });

async function play(steps: Array<[Direction, unknown]>): Promise<EventRow[]> {
  const { recorder: r, rows } = recorder();
  for (const [direction, payload] of steps) await r.record(direction, payload);
  return rows;
}

const pairs = (rows: EventRow[]) => rows.map((row) => row.replyToSeq ?? null);

describe("pairing responses with requests", () => {
  it("pairs a client request with the upstream's answer or the gateway's, with the latency in ms (0.01 ms steps)", async () => {
    const { recorder: r, rows } = recorder();
    await r.record("CLIENT_TO_UPSTREAM", request(1));
    await r.record("CLIENT_TO_UPSTREAM", request(2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await r.record("UPSTREAM_TO_CLIENT", result(2));
    await r.record("GATEWAY_TO_CLIENT", error(1));
    expect(pairs(rows)).toEqual([null, null, 2, 1]);
    expect(rows[2]!.latencyMs).toBeGreaterThanOrEqual(15);
    expect(rows[2]!.latencyMs).toBe(Math.round(rows[2]!.latencyMs! * 100) / 100);
    expect(rows[0]!.latencyMs).toBeNull();
  });

  it('tells ids 1 and "1" apart, and pairs each request once', async () => {
    const rows = await play([
      ["CLIENT_TO_UPSTREAM", request(1)],
      ["CLIENT_TO_UPSTREAM", request("1")],
      ["UPSTREAM_TO_CLIENT", result("1")],
      ["UPSTREAM_TO_CLIENT", result(1)],
      ["UPSTREAM_TO_CLIENT", result(1)],
      ["UPSTREAM_TO_CLIENT", result(3)],
    ]);
    expect(pairs(rows)).toEqual([null, null, 2, 1, null, null]);
  });

  it("pairs a server-to-client request (sampling) with the client's answer, apart from client requests with the same id", async () => {
    const rows = await play([
      ["CLIENT_TO_UPSTREAM", request(0)],
      ["UPSTREAM_TO_CLIENT", request(0, "sampling/createMessage")],
      ["CLIENT_TO_UPSTREAM", result(0)],
      ["UPSTREAM_TO_CLIENT", result(0)],
      ["UPSTREAM_TO_CLIENT", request(5, "elicitation/create")],
      // Refused by the gateway towards the upstream (it could not be masked).
      ["GATEWAY_TO_UPSTREAM", error(5)],
    ]);
    expect(pairs(rows)).toEqual([null, null, 2, 1, null, 5]);
  });

  it("pairs an approved held call's answer with the client's request, not with the forwarding", async () => {
    const { recorder: r, rows } = recorder();
    await r.record("CLIENT_TO_UPSTREAM", request(9), { decision: "require-approval" });
    await r.record("GATEWAY_TO_UPSTREAM", request(9), { decision: "approved" });
    await r.record("UPSTREAM_TO_CLIENT", result(9));
    expect(pairs(rows)).toEqual([null, null, 1]);
  });

  it("ignores notifications, batches and messages without an id", async () => {
    const rows = await play([
      ["CLIENT_TO_UPSTREAM", request(1)],
      ["UPSTREAM_TO_CLIENT", { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: 1 } }],
      ["UPSTREAM_TO_CLIENT", [result(1)]],
      ["UPSTREAM_TO_CLIENT", { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }],
      ["UPSTREAM_TO_CLIENT", result(1)],
    ]);
    expect(pairs(rows)).toEqual([null, null, null, null, 1]);
  });

  it("keeps a bounded number of open requests, forgetting the oldest", async () => {
    const { recorder: r, rows } = recorder();
    for (let i = 0; i <= MAX_OPEN_REQUESTS; i++) await r.record("CLIENT_TO_UPSTREAM", request(i));
    await r.record("UPSTREAM_TO_CLIENT", result(0));
    await r.record("UPSTREAM_TO_CLIENT", result(1));
    expect(pairs(rows.slice(-2))).toEqual([null, 2]);
  });

  it("hashes the pairing only when present, so unpaired events hash as before", async () => {
    const { recorder: r, rows } = recorder();
    await r.record("CLIENT_TO_UPSTREAM", request(1));
    await r.record("UPSTREAM_TO_CLIENT", result(1));
    const [first, second] = rows as [EventRow, EventRow];
    const base = (row: EventRow) => ({ seq: row.seq, at: row.at.toISOString(), direction: row.direction, payload: row.payload });
    expect(first.hash).toBe(chainHash(GENESIS_HASH, base(first)));
    expect(second.hash).toBe(chainHash(first.hash, { ...base(second), replyToSeq: 1, latencyMs: second.latencyMs }));
    expect(r.committedHead).toEqual({ seq: 2, hash: second.hash });
  });
});

describe("the committed chain head", () => {
  it("moves only when a write is committed", async () => {
    let commit = () => {};
    const writer = { write: () => new Promise<void>((resolve) => (commit = resolve)) } as unknown as EventWriter;
    const r = new SessionRecorder(writer, "s1");
    const written = r.record("CLIENT_TO_UPSTREAM", request(1));
    expect(r.committedHead).toEqual({ seq: 0, hash: GENESIS_HASH });
    expect(r.head?.seq).toBe(1);
    commit();
    await written;
    expect(r.committedHead).toEqual(r.head);
  });
});
