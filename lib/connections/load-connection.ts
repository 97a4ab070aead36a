import type { Db } from "../db/client.ts";
import type { Transport } from "../db/generated/enums.ts";
import { open } from "../vault/seal.ts";
import type { ConnectionCredential } from "./schema.ts";

export interface UpstreamConnection {
  id: string;
  slug: string;
  name: string;
  transport: Transport;
  url: string | null;
  command: string | null;
  args: string[];
  /** Decrypted only inside the gateway process, only when opening the upstream. */
  readCredential(): ConnectionCredential;
}

export async function loadConnection(db: Db, options: { slug: string; vaultKey: Buffer | null }): Promise<UpstreamConnection | null> {
  const row = await db.connection.findUnique({ where: { slug: options.slug } });
  if (!row) return null;
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    transport: row.transport,
    url: row.url,
    command: row.command,
    args: row.args,
    readCredential() {
      if (!row.credential) return {};
      if (!options.vaultKey) throw new Error("TOLLGATE_SECRET_KEY is not set; cannot open the upstream credential.");
      return JSON.parse(open(row.credential, options.vaultKey, row.id)) as ConnectionCredential;
    },
  };
}
