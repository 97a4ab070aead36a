import type { IncomingHttpHeaders } from "node:http";
import type { Db } from "../../lib/db/client.ts";
import { type GatewayTokenGrant, resolveGatewayToken } from "../../lib/tokens/resolve-gateway-token.ts";
import { GatewayError } from "../errors.ts";
import type { GrantCache } from "./grant-cache.ts";

/** Step 1: who is calling. Only the Authorization header counts; it never travels upstream. */
export async function authenticate(db: Db, headers: IncomingHttpHeaders, grants?: GrantCache): Promise<GatewayTokenGrant> {
  const authorization = headers.authorization;
  if (!authorization) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      'Missing bearer token: send "Authorization: Bearer tgg_…" with a gateway token minted in the Tollgate portal.',
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!match) throw new GatewayError("UNAUTHENTICATED", 'Authorization header must be "Bearer <gateway token>".');
  // Gateway tokens: from memory while the grant watcher listens (see grant-cache.ts), else one query.
  const resolved = grants ? await grants.resolve(match[1]!) : await resolveGatewayToken(db, match[1]!);
  if (!resolved) {
    throw new GatewayError("UNAUTHENTICATED", "Gateway token is not valid. Mint a new one for your grant in the Tollgate portal.");
  }
  if (resolved.tokenRevokedAt) {
    throw new GatewayError(
      "UNAUTHENTICATED",
      `Gateway token was revoked at ${resolved.tokenRevokedAt.toISOString()}. Mint a new one for your grant in the Tollgate portal.`,
    );
  }
  return resolved;
}
