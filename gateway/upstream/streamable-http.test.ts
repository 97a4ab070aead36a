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

describe("readJsonValues", () => {
  it("hands on newline-delimited messages as they complete, and a pretty-printed body whole at the end", async () => {
    const { PassThrough } = await import("node:stream");
    const { readJsonValues } = await import("./streamable-http.ts");
    const stream = new PassThrough();
    const values: unknown[] = [];
    const done = readJsonValues(stream as never, (value) => values.push(value));
    stream.write('{"a":1}\n{"b"');
    await new Promise((resolve) => setImmediate(resolve));
    expect(values).toEqual([{ a: 1 }]);
    stream.end(':2}\n{\n  "c": [\n 3]\n}\n');
    expect(await done).toBeNull();
    expect(values).toEqual([{ a: 1 }, { b: 2 }, { c: [3] }]);

    const broken = new PassThrough();
    const failed = readJsonValues(broken as never, () => undefined);
    broken.end("<html>");
    expect(await failed).toBeInstanceOf(SyntaxError);
  });
});
