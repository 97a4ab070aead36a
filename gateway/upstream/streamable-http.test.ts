import { describe, expect, it } from "vitest";
import { SseParser } from "./streamable-http.ts";

describe("SseParser", () => {
  it("hands on each event as soon as it is complete, across arbitrary chunk boundaries and line endings", () => {
    const events: Array<{ event: string; data: string; id: string | undefined; retry: number | undefined }> = [];
    const parser = new SseParser((event) => events.push(event));
    const text = 'id: 1\r\nretry: 500\r\ndata: \r\n\r\n: keep-alive\n\nevent: message\nid: 2\ndata: {"a":\ndata: 1}\n\ndata: é\r\r\n';
    const bytes = Buffer.from(text, "utf8");
    for (let i = 0; i < bytes.length; i += 3) parser.push(bytes.subarray(i, i + 3));
    expect(events).toEqual([
      { event: "message", data: "", id: "1", retry: 500 },
      { event: "message", data: '{"a":\n1}', id: "2", retry: undefined },
      { event: "message", data: "é", id: "2", retry: undefined },
    ]);
  });
});
