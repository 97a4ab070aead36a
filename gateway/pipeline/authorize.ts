import { GatewayError } from "../errors.ts";

export interface GrantState {
  id: string;
  connectionId: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

/**
 * Step 2: may this identity use this connection right now? Checked on every message, not only at
 * connect: the grant must be for this connection, not revoked and not expired.
 */
export function authorize(grant: GrantState, connection: { id: string; slug: string }, now = new Date()): void {
  if (grant.connectionId !== connection.id) {
    throw new GatewayError(
      "WRONG_CONNECTION",
      `This token's grant is not for "${connection.slug}". Request access to "${connection.slug}" in the Tollgate portal.`,
    );
  }
  if (grant.revokedAt) {
    throw new GatewayError(
      "GRANT_REVOKED",
      `Your access grant for "${connection.slug}" was revoked at ${grant.revokedAt.toISOString()}. Request access again in the Tollgate portal.`,
    );
  }
  if (grant.expiresAt <= now) {
    throw new GatewayError(
      "GRANT_EXPIRED",
      `Your access grant for "${connection.slug}" expired at ${grant.expiresAt.toISOString()}. Request access again in the Tollgate portal.`,
    );
  }
}
