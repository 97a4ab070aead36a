import { randomUUID } from "node:crypto";
import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { AppError } from "../errors.ts";
import { seal } from "../vault/seal.ts";
import { type AdminConnectionView, presentAdminConnection } from "./present-connection.ts";
import type { ConnectionCredential, CreateConnectionData } from "./schema.ts";
import { transportEnum } from "./transport.ts";

export async function createConnection(
  db: Db,
  options: { actor: Actor; input: CreateConnectionData; vaultKey: Buffer },
): Promise<AdminConnectionView> {
  const { actor, input } = options;
  assertCan(actor, "connections:write", "add connections");
  const id = randomUUID();
  const credential: ConnectionCredential = {};
  if (input.headers && Object.keys(input.headers).length > 0) credential.headers = input.headers;
  if (input.transport === "stdio" && input.env && Object.keys(input.env).length > 0) credential.env = input.env;
  const sealed = Object.keys(credential).length > 0 ? seal(JSON.stringify(credential), options.vaultKey, id) : null;

  const existing = await db.connection.findUnique({ where: { slug: input.slug }, select: { id: true } });
  if (existing) throw new AppError("CONFLICT", `A connection with slug "${input.slug}" already exists.`, { field: "slug" });

  const created = await db.$transaction(async (tx) => {
    const row = await tx.connection.create({
      data: {
        id,
        slug: input.slug,
        name: input.name,
        description: input.description ?? null,
        transport: transportEnum(input.transport),
        url: input.transport === "stdio" ? null : input.url,
        command: input.transport === "stdio" ? input.command : null,
        args: input.transport === "stdio" ? input.args : [],
        credential: sealed,
        maxMinutes: input.maxMinutes,
        createdById: actor.id,
      },
    });
    await writeAuditEvent(tx, {
      actor,
      action: "connection.created",
      targetType: "Connection",
      targetId: row.id,
      // Names of credential headers/env vars are useful to auditors; their values are not recorded.
      data: {
        slug: row.slug,
        transport: input.transport,
        credentialHeaders: Object.keys(credential.headers ?? {}),
        credentialEnv: Object.keys(credential.env ?? {}),
      },
    });
    return row;
  });
  return presentAdminConnection(created);
}
