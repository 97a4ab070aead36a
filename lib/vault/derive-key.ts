import { hkdfSync } from "node:crypto";

/**
 * A key for one purpose, derived from the vault key (HKDF-SHA256), so one secret in the
 * environment serves several uses without any of them revealing another.
 */
export function deriveKey(vaultKey: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", vaultKey, Buffer.alloc(0), `tollgate:${purpose}`, 32));
}

/** The HMAC key of the masking `hash` style: stable across restarts and replicas, never stored. */
export const maskHashKey = (vaultKey: Uint8Array): Buffer => deriveKey(vaultKey, "mask-hash:v1");
