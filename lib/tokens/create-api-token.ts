import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { parseInput } from "../validate.ts";
import { type CreateApiTokenInput, createApiTokenSchema } from "./schema.ts";
import { API_TOKEN_PREFIX, newToken } from "./secret-token.ts";
import type { CreatedApiToken } from "./views.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/** The API's shape of a new token, with the plaintext (tg_…) returned this once: the zod schema in ./views.ts. */
export type { CreatedApiToken };

/** Mints a personal API token for the actor. The plaintext is returned once and never stored. */
export async function createApiToken(db: Db, options: { actor: Actor } & CreateApiTokenInput): Promise<CreatedApiToken> {
  const { actor } = options;
  const { name, expiresInDays } = parseInput(createApiTokenSchema, { name: options.name, expiresInDays: options.expiresInDays });
  const expiresAt = expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * DAY_MS);
  // A service account's credential is its IdP's short-lived token: it may not turn it into a long-lived one here.
  const owner = await db.user.findUnique({ where: { id: actor.id }, select: { kind: true } });
  if (owner?.kind === "SERVICE") {
    throw new AppError(
      "FORBIDDEN",
      "Service accounts cannot create personal API tokens: they authenticate with their identity provider's access tokens.",
    );
  }

  const minted = newToken(API_TOKEN_PREFIX);
  const row = await db.$transaction(async (tx) => {
    const created = await tx.apiToken.create({
      data: { userId: actor.id, name, prefix: minted.prefix, hash: minted.hash, expiresAt },
    });
    await writeAuditEvent(tx, {
      actor,
      action: "api_token.created",
      targetType: "ApiToken",
      targetId: created.id,
      data: { name, prefix: minted.prefix, expiresAt: expiresAt?.toISOString() ?? null },
    });
    return created;
  });
  return { id: row.id, token: minted.token, prefix: minted.prefix, name: row.name, expiresAt: row.expiresAt?.toISOString() ?? null };
}
