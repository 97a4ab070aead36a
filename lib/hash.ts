import { hash } from "node:crypto";

export function sha256Hex(value: string): string {
  // One-shot hashing (no Hash object per call): the recorder hashes every message.
  return hash("sha256", value, "hex");
}

/**
 * The reference form: JSON with object keys sorted at every level (a replacer that rebuilds each
 * object with sorted keys). `canonicalJson` must produce exactly this text; it falls back to it for
 * anything but plain JSON data.
 */
function canonicalJsonReference(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return item;
  });
}

/** Thrown by the fast path for a value it does not handle exactly like the reference (e.g. a boxed primitive). */
const UNUSUAL = Symbol("unusual");

/** A canonical array index ("0", "7", "42"): an object created with such keys lists them first, ascending. */
function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57) return false;
  if (key === "0") return true;
  if (first === 48 || !/^[0-9]+$/.test(key)) return false;
  return Number(key) < 4294967295;
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Object keys in the order the reference's rebuilt object has them: array indices ascending, then the rest sorted. */
function sortedKeys(object: Record<string, unknown>): string[] {
  const keys = Object.keys(object).sort(byCodeUnits);
  let indices = 0;
  for (const key of keys) if (isArrayIndex(key)) indices += 1;
  if (indices === 0) return keys;
  const numeric = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b));
  return numeric.concat(keys.filter((key) => !isArrayIndex(key)));
}

/** One value as JSON.stringify would write it, or undefined where it would leave it out. */
function write(value: unknown, key: string): string | undefined {
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? String(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "object": {
      if (value === null) return "null";
      if (Array.isArray(value)) {
        let out = "[";
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ",";
          out += write(value[i], String(i)) ?? "null";
        }
        return `${out}]`;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) throw UNUSUAL;
      const object = value as Record<string, unknown>;
      let out = "{";
      let first = true;
      for (const name of sortedKeys(object)) {
        const text = write(object[name], name);
        if (text === undefined) continue;
        out += `${first ? "" : ","}${JSON.stringify(name)}:${text}`;
        first = false;
      }
      return `${out}}`;
    }
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    default:
      // bigint: JSON.stringify throws; let the reference do so.
      throw UNUSUAL;
  }
}

/** JSON with object keys sorted at every level: Postgres jsonb reorders keys, so hashes use this form. */
export function canonicalJson(value: unknown): string {
  try {
    return write(value, "") as string;
  } catch (error) {
    if (error === UNUSUAL) return canonicalJsonReference(value);
    throw error;
  }
}

/** Hash chain link: covers the predecessor's hash and this record's canonical JSON. */
export function chainHash(prevHash: string, record: unknown): string {
  return sha256Hex(`${prevHash}\n${canonicalJson(record)}`);
}

export const GENESIS_HASH = "0".repeat(64);

/** For tests: the reference form `canonicalJson` must match. */
export const canonicalJsonForTests = { reference: canonicalJsonReference };
