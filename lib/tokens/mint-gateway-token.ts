import { grantStatus } from "../access/present.ts";
import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { grantNotFound, visibleGrants } from "../grants/list-grants.ts";
import { GATEWAY_TOKEN_PREFIX, newToken } from "./secret-token.ts";
import type { MintedGatewayToken } from "./views.ts";

/** An OAuth access token (lib/oauth): a gateway token that also ends at `expiresAt` and names its client and resource. */
export interface OAuthTokenBinding {
  clientId: string;
  resource: string;
  expiresAt: Date;
}

/** Mints a gateway access token bound to one of the actor's own active grants. Shown once. */
export async function mintGatewayToken(
  db: Db,
  options: { actor: Actor; grantId: string; oauth?: OAuthTokenBinding },
): Promise<MintedGatewayToken> {
  const { actor, grantId, oauth } = options;
  const grant = await db.grant.findFirst({
    where: { id: grantId, ...visibleGrants(actor) },
    include: { connection: { select: { slug: true } } },
  });
  if (!grant) throw grantNotFound(grantId);
  if (grant.userId !== actor.id) throw new AppError("FORBIDDEN", "Gateway tokens can only be minted by the grant's holder.");
  const status = grantStatus(grant);
  if (status !== "ACTIVE") throw new AppError("GONE", `This grant is ${status.toLowerCase()}; request access again.`);

  const minted = newToken(GATEWAY_TOKEN_PREFIX);
  await db.$transaction(async (tx) => {
    const row = await tx.gatewayToken.create({
      data: {
        grantId,
        userId: actor.id,
        prefix: minted.prefix,
        hash: minted.hash,
        ...(oauth ? { expiresAt: oauth.expiresAt, oauthClientId: oauth.clientId, resource: oauth.resource } : {}),
      },
    });
    await writeAuditEvent(tx, {
      actor,
      action: "gateway_token.created",
      targetType: "GatewayToken",
      targetId: row.id,
      data: { grantId, prefix: minted.prefix, ...(oauth ? { oauthClientId: oauth.clientId, resource: oauth.resource } : {}) },
    });
  });
  return {
    token: minted.token,
    prefix: minted.prefix,
    grantId,
    connection: grant.connection.slug,
    expiresAt: grant.expiresAt.toISOString(),
  };
}
