import { writeAuditEvent } from "../audit/write-audit-event.ts";
import { transportEnum, transportName } from "../connections/transport.ts";
import type { Db } from "./client.ts";
import type { Role } from "./generated/enums.ts";

export interface SeedUser {
  subject: string;
  email: string;
  name: string;
  groups: string[];
}

/** The demo upstream: server-everything over stdio, spawned by the gateway per session. */
export const EVERYTHING_CONNECTION = {
  slug: "everything",
  name: "Everything (demo MCP server)",
  description: "@modelcontextprotocol/server-everything over stdio: echo, add, sampling and more. Spawned only while a session needs it.",
  command: "node_modules/.bin/mcp-server-everything",
  args: ["stdio"],
  maxMinutes: 60,
};

/**
 * Idempotent seed: role mappings from configuration (replacing earlier ones), and with `demo`
 * the demo users and the `everything` connection. Safe to run on every start.
 */
export async function seed(db: Db, options: { roleMappings: Array<{ group: string; role: Role }>; demoUsers?: SeedUser[] }) {
  await db.$transaction(async (tx) => {
    const wanted = new Set(options.roleMappings.map((m) => `${m.group}\u0000${m.role}`));
    const existing = await tx.roleMapping.findMany();
    const stale = existing.filter((m) => !wanted.has(`${m.group}\u0000${m.role}`));
    if (stale.length) await tx.roleMapping.deleteMany({ where: { id: { in: stale.map((m) => m.id) } } });
    const have = new Set(existing.map((m) => `${m.group}\u0000${m.role}`));
    const added = options.roleMappings.filter((m) => !have.has(`${m.group}\u0000${m.role}`));
    if (added.length) await tx.roleMapping.createMany({ data: added });
    if (stale.length || added.length) {
      await writeAuditEvent(tx, {
        actor: null,
        action: "role_mappings.configured",
        targetType: "RoleMapping",
        targetId: "*",
        data: { mappings: options.roleMappings },
      });
    }
  });

  const users = [];
  for (const user of options.demoUsers ?? []) {
    const mapped = options.roleMappings.filter((m) => user.groups.includes(m.group)).map((m) => m.role);
    const roles = [...new Set<Role>(["REQUESTER", ...mapped])].sort();
    const data = { email: user.email, name: user.name, groups: user.groups, roles };
    users.push(await db.user.upsert({ where: { subject: user.subject }, create: { subject: user.subject, ...data }, update: data }));
  }

  if (options.demoUsers?.length) {
    const exists = await db.connection.findUnique({ where: { slug: EVERYTHING_CONNECTION.slug } });
    if (!exists) {
      await db.$transaction(async (tx) => {
        const row = await tx.connection.create({ data: { ...EVERYTHING_CONNECTION, transport: transportEnum("stdio") } });
        await writeAuditEvent(tx, {
          actor: null,
          action: "connection.created",
          targetType: "Connection",
          targetId: row.id,
          data: { slug: row.slug, transport: transportName(row.transport), seeded: true },
        });
      });
    }
  }
  return { users };
}
