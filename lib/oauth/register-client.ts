import { randomBytes } from "node:crypto";
import type { Db } from "../db/client.ts";
import type { Prisma } from "../db/generated/client.ts";
import { OAuthError } from "./errors.ts";
import { clientMetadataSchema, describeIssues } from "./schema.ts";

// Dynamic client registration (RFC 7591): anyone may register a public client (no secret, PKCE
// protects the code). Registration grants nothing by itself: every authorization still needs the
// signed-in user's consent, which names the client and its redirect host.

export const REGISTERED_CLIENT_PREFIX = "tgc_";

export interface RegisteredClient {
  client_id: string;
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: "none";
  client_uri?: string;
  logo_uri?: string;
  scope?: string;
}

/** The name shown on the consent page: the client's own, else the host it redirects to. */
export function clientDisplayName(name: string | undefined, redirectUris: readonly string[]): string {
  if (name) return name;
  try {
    return new URL(redirectUris[0]!).host || "Unnamed client";
  } catch {
    return "Unnamed client";
  }
}

export async function registerClient(db: Db, input: unknown): Promise<RegisteredClient> {
  const parsed = clientMetadataSchema.safeParse(input);
  if (!parsed.success) {
    const redirectProblem = parsed.error.issues.some((issue) => issue.path[0] === "redirect_uris");
    throw new OAuthError(redirectProblem ? "invalid_redirect_uri" : "invalid_client_metadata", describeIssues(parsed.error));
  }
  const metadata = parsed.data;
  const id = `${REGISTERED_CLIENT_PREFIX}${randomBytes(18).toString("base64url")}`;
  const name = clientDisplayName(metadata.client_name, metadata.redirect_uris);
  const row = await db.oAuthClient.create({
    data: {
      id,
      kind: "registered",
      name,
      redirectUris: metadata.redirect_uris,
      clientUri: metadata.client_uri ?? null,
      logoUri: metadata.logo_uri ?? null,
      metadata: metadata as unknown as Prisma.InputJsonValue,
    },
  });
  // Public clients only: whatever authentication method was asked for, the answer says "none" (RFC 7591 §3.2.1).
  return {
    client_id: row.id,
    client_id_issued_at: Math.floor(row.createdAt.getTime() / 1000),
    client_name: name,
    redirect_uris: metadata.redirect_uris,
    grant_types: ["authorization_code", "refresh_token"],
    response_types: ["code"],
    token_endpoint_auth_method: "none",
    ...(metadata.client_uri ? { client_uri: metadata.client_uri } : {}),
    ...(metadata.logo_uri ? { logo_uri: metadata.logo_uri } : {}),
    ...(metadata.scope ? { scope: metadata.scope } : {}),
  };
}
