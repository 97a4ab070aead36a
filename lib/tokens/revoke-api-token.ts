import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { type ApiTokenView, apiTokenSelect, presentApiToken } from "./present.ts";

/**
 * Revokes one of the actor's own personal API tokens; it stops authenticating at once (every
 * request looks the token up). Someone else's token matches nothing and is reported as not found.
 */
export async function revokeApiToken(db: Db, options: { actor: Actor; tokenId: string }): Promise<ApiTokenView> {
  const { actor, tokenId } = options;
  const updated = await db.$transaction(async (tx) => {
    const changed = await tx.apiToken.updateMany({
      where: { id: tokenId, userId: actor.id, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    if (changed.count === 0) {
      const existing = await tx.apiToken.findFirst({ where: { id: tokenId, userId: actor.id }, select: { id: true } });
      if (!existing) throw new AppError("NOT_FOUND", `No API token ${tokenId} of yours.`);
      throw new AppError("CONFLICT", "This API token is already revoked.");
    }
    const row = await tx.apiToken.findUniqueOrThrow({ where: { id: tokenId }, select: apiTokenSelect });
    await writeAuditEvent(tx, {
      actor,
      action: "api_token.revoked",
      targetType: "ApiToken",
      targetId: tokenId,
      data: { name: row.name, prefix: row.prefix },
    });
    return row;
  });
  return presentApiToken(updated);
}
