import type { Db } from "../db/client.ts";
import type { Prisma } from "../db/generated/client.ts";
import { type FetchLike, fetchMetadataDocument, isMetadataDocumentClientId } from "./client-metadata-document.ts";
import { OAuthError } from "./errors.ts";
import { clientDisplayName } from "./register-client.ts";
import { hasNul } from "./schema.ts";
import { OAUTH_LIFETIMES } from "./settings.ts";

export interface OAuthClientInfo {
  id: string;
  kind: "registered" | "metadata_document";
  name: string;
  redirectUris: string[];
  clientUri: string | null;
}

export interface FindClientOptions {
  fetch?: FetchLike;
  /** Tests serve metadata documents from localhost. */
  allowPrivateHosts?: boolean;
  now?: Date;
}

/**
 * The client behind a client_id: a registered one from the database, or a metadata document
 * (fetched, validated, cached for an hour). Unknown or invalid: `invalid_client`.
 */
export async function findClient(db: Db, clientId: string, options: FindClientOptions = {}): Promise<OAuthClientInfo> {
  const now = options.now ?? new Date();
  // Never a database lookup for what cannot be an id (Postgres refuses a NUL in text).
  if (hasNul(clientId) || clientId.length > 2000) throw new OAuthError("invalid_client", "Unknown client_id; register the client first.");
  const row = await db.oAuthClient.findUnique({ where: { id: clientId } });
  if (!isMetadataDocumentClientId(clientId)) {
    if (row?.kind !== "registered") throw new OAuthError("invalid_client", "Unknown client_id; register the client first.");
    return present(row);
  }
  if (row?.fetchedAt && now.getTime() - row.fetchedAt.getTime() < OAUTH_LIFETIMES.metadataDocumentSeconds * 1000) return present(row);
  const metadata = await fetchMetadataDocument(clientId, options);
  const data = {
    kind: "metadata_document",
    name: clientDisplayName(metadata.client_name, metadata.redirect_uris),
    redirectUris: metadata.redirect_uris,
    clientUri: metadata.client_uri ?? null,
    logoUri: metadata.logo_uri ?? null,
    metadata: metadata as unknown as Prisma.InputJsonValue,
    fetchedAt: now,
  };
  const saved = await db.oAuthClient.upsert({ where: { id: clientId }, create: { id: clientId, ...data }, update: data });
  return present(saved);
}

function present(row: { id: string; kind: string; name: string; redirectUris: string[]; clientUri: string | null }): OAuthClientInfo {
  return {
    id: row.id,
    kind: row.kind === "metadata_document" ? "metadata_document" : "registered",
    name: row.name,
    redirectUris: row.redirectUris,
    clientUri: row.clientUri,
  };
}
