import { createHash } from "node:crypto";

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** JSON with object keys sorted at every level: Postgres jsonb reorders keys, so hashes use this form. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item && typeof item === "object" && !Array.isArray(item)) {
      return Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return item;
  });
}

/** Hash chain link: covers the predecessor's hash and this record's canonical JSON. */
export function chainHash(prevHash: string, record: unknown): string {
  return sha256Hex(`${prevHash}\n${canonicalJson(record)}`);
}

export const GENESIS_HASH = "0".repeat(64);
