import { vaultKey } from "@/lib/config";
import { maskHashKey } from "@/lib/vault/derive-key";

/** The `hash` masking style's key, as the gateway derives it: masked values look the same in the portal. */
export function maskingKey(): Uint8Array {
  return maskHashKey(vaultKey());
}
