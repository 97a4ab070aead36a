import { describe, expect, it } from "vitest";
import {
  assertDeclaredLengthWithin,
  assertJsonContentType,
  declaredLength,
  declaresBody,
  isJsonContentType,
  isWriteMethod,
  MAX_BODY_BYTES,
  parseJsonBytes,
  readBounded,
  readJsonBody,
} from "./body.ts";

const encoder = new TextEncoder();

/** An endless (or `limit`-chunk) pull stream that counts what was pulled and whether it was cancelled. */
function countingStream(chunkSize: number, limit = Number.POSITIVE_INFINITY) {
  const state = { pulled: 0, cancelled: false as boolean, reason: undefined as unknown };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (state.pulled >= limit) {
          controller.close();
          return;
        }
        state.pulled += 1;
        controller.enqueue(new Uint8Array(chunkSize).fill(0x20));
      },
      cancel(reason) {
        state.cancelled = true;
        state.reason = reason;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(encoder.encode(part));
      controller.close();
    },
  });
}

const request = (headers: Record<string, string>, body: ReadableStream<Uint8Array> | null) => ({ headers: new Headers(headers), body });

describe("readBounded", () => {
  it("joins the chunks of a body within the limit", async () => {
    const bytes = await readBounded(streamOf('{"a"', ":", "1}"), 100);
    expect(new TextDecoder().decode(bytes)).toBe('{"a":1}');
    expect((await readBounded(null)).byteLength).toBe(0);
  });

  it("accepts exactly the limit", async () => {
    const { stream } = countingStream(1024, 64);
    expect((await readBounded(stream, 64 * 1024)).byteLength).toBe(64 * 1024);
  });

  it("stops at the first chunk past the limit and cancels the stream (an endless body is not read on)", async () => {
    const { stream, state } = countingStream(16 * 1024);
    await expect(readBounded(stream, MAX_BODY_BYTES)).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413 });
    expect(state.cancelled).toBe(true);
    // 64 KB in 16 KB chunks: the fifth chunk passes the limit; nothing after it is pulled.
    expect(state.pulled).toBe(5);
  });

  it("answers 400 when the stream breaks off", async () => {
    const broken = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error("socket hang up"));
      },
    });
    await expect(readBounded(broken)).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/could not be read/) });
  });
});

describe("Content-Length", () => {
  it("parses it, and refuses malformed or conflicting values", () => {
    expect(declaredLength(new Headers())).toBeNull();
    expect(declaredLength(new Headers({ "content-length": "42" }))).toBe(42);
    expect(declaredLength(new Headers([["content-length", "7, 7"]]))).toBe(7);
    for (const bad of ["-1", "1.5", "abc", "7, 8", "", "1e3", "9999999999999999"]) {
      expect(() => declaredLength(new Headers({ "content-length": bad })), bad).toThrow(expect.objectContaining({ code: "BAD_REQUEST" }));
    }
  });

  it("413 for a declared length over the limit, before anything is read", async () => {
    expect(() => assertDeclaredLengthWithin(new Headers({ "content-length": String(300 * 1024 * 1024) }))).toThrow(
      expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }),
    );
    expect(() => assertDeclaredLengthWithin(new Headers({ "content-length": String(MAX_BODY_BYTES) }))).not.toThrow();
    const { stream, state } = countingStream(1024);
    await expect(
      readJsonBody(request({ "content-length": String(300 * 1024 * 1024), "content-type": "application/json" }, stream)),
    ).rejects.toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(state.pulled).toBe(0);
  });

  it("knows whether a body is declared", () => {
    expect(declaresBody(new Headers())).toBe(false);
    expect(declaresBody(new Headers({ "content-length": "0" }))).toBe(false);
    expect(declaresBody(new Headers({ "content-length": "2" }))).toBe(true);
    expect(declaresBody(new Headers({ "transfer-encoding": "chunked" }))).toBe(true);
  });
});

describe("Content-Type", () => {
  it("accepts application/json with an optional UTF-8 charset only", () => {
    for (const ok of ["application/json", "Application/JSON", "application/json; charset=utf-8", 'application/json;charset="UTF-8"']) {
      expect(isJsonContentType(ok), ok).toBe(true);
    }
    for (const bad of [
      null,
      "",
      "text/plain",
      "text/plain; charset=utf-8",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=latin1",
      "application/jsonp",
      "text/json",
    ]) {
      expect(isJsonContentType(bad), String(bad)).toBe(false);
    }
  });

  it("415 unless JSON; a missing type passes only when not required", () => {
    expect(() => assertJsonContentType(new Headers({ "content-type": "text/plain" }), { required: false })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_MEDIA_TYPE", status: 415 }),
    );
    expect(() => assertJsonContentType(new Headers(), { required: true })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_MEDIA_TYPE", message: expect.stringMatching(/application\/json/) }),
    );
    expect(() => assertJsonContentType(new Headers(), { required: false })).not.toThrow();
    expect(() => assertJsonContentType(new Headers({ "content-type": "application/json" }), { required: true })).not.toThrow();
  });

  it("knows the write methods", () => {
    expect(["POST", "put", "PATCH", "DELETE"].every(isWriteMethod)).toBe(true);
    expect(["GET", "HEAD", "OPTIONS"].some(isWriteMethod)).toBe(false);
  });
});

describe("JSON", () => {
  it("parses, gives undefined for an empty body, and says what is wrong", () => {
    expect(parseJsonBytes(encoder.encode('{"a":[1,2]}'))).toEqual({ a: [1, 2] });
    expect(parseJsonBytes(encoder.encode(" \n "))).toBeUndefined();
    expect(parseJsonBytes(new Uint8Array(0))).toBeUndefined();
    expect(() => parseJsonBytes(encoder.encode("{not json"))).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST", message: expect.stringMatching(/^Body is not valid JSON: /) }),
    );
    expect(() => parseJsonBytes(new Uint8Array([0x22, 0xff, 0x22]))).toThrow(
      expect.objectContaining({ code: "BAD_REQUEST", message: "Body is not valid UTF-8." }),
    );
  });

  it("readJsonBody: the declared length, then the bytes, then the type, then the JSON", async () => {
    const json = { "content-type": "application/json" };
    expect(await readJsonBody(request(json, streamOf('{"ok":', "true}")))).toEqual({ ok: true });
    expect(await readJsonBody(request({}, null))).toBeUndefined();
    expect(await readJsonBody(request({}, streamOf("")))).toBeUndefined();
    // A body that is not declared as JSON is refused as such, not parsed.
    await expect(readJsonBody(request({ "content-type": "text/plain" }, streamOf("not json")))).rejects.toMatchObject({
      code: "UNSUPPORTED_MEDIA_TYPE",
    });
    await expect(readJsonBody(request({}, streamOf("{}")))).rejects.toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE" });
    await expect(readJsonBody(request(json, streamOf("{")))).rejects.toMatchObject({ code: "BAD_REQUEST" });
    // Chunked (no Content-Length): read until the limit, then cancelled.
    const { stream, state } = countingStream(8 * 1024);
    await expect(readJsonBody(request({ ...json, "transfer-encoding": "chunked" }, stream), { maxBytes: 1024 })).rejects.toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
    });
    expect(state).toMatchObject({ pulled: 1, cancelled: true });
  });
});
