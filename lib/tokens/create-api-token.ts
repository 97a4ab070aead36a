import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { API_TOKEN_PREFIX, newToken } from "./secret-token.ts";

/** Mints a personal API token for the actor. The plaintext is returned once and never stored. */
export async function createApiToken(db: Db, options: { actor: Actor; name: string; expiresAt?: Date }): Promise<{ id: string; token: string; prefix: string }> {
  const minted = newToken(API_TOKEN_PREFIX);
  const row = await db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: { userId: options.actor.id, name: options.name, prefix: minted.prefix, hash: minted.hash, expiresAt: options.expiresAt },
    });
    await writeAuditEvent(tx, {
      actor: options.actor,
      action: "api_token.created",
      targetType: "ApiToken",
      targetId: created.id,
      data: { name: options.name, prefix: minted.prefix },
    });
    return created;
  });
  return { id: row.id, token: minted.token, prefix: minted.prefix };
}
