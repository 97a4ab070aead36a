import { type Actor, assertCan } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { resolvePolicyScope } from "./policy-scope.ts";
import type { PolicySample } from "./views.ts";

/** The API's shape of a sample: the zod schema in ./views.ts (the OpenAPI document's). */
export type { PolicySample };

const SAMPLE_LIMIT = 40;

/**
 * The connection's recent real messages, for the editor's preview. They are what the recording
 * holds, i.e. already masked by the policy in force when they were recorded.
 */
export async function listPolicySamples(db: Db, options: { actor: Actor; slug: string }): Promise<PolicySample[]> {
  assertCan(options.actor, "sessions:read:all", "read recorded messages");
  const scope = await resolvePolicyScope(db, { kind: "connection", slug: options.slug });
  const rows = await db.sessionEvent.findMany({
    where: {
      session: { connectionId: scope.connectionId ?? "" },
      direction: { in: ["CLIENT_TO_UPSTREAM", "UPSTREAM_TO_CLIENT"] },
      kind: { in: ["request", "response", "error", "notification"] },
    },
    orderBy: { id: "desc" },
    take: SAMPLE_LIMIT * 3,
    select: { sessionId: true, seq: true, at: true, direction: true, kind: true, rpcId: true, method: true, tool: true, payload: true },
  });
  // A response is previewed with the method of the request it answers (list filtering needs it).
  const methodOf = new Map<string, string>();
  for (const row of rows)
    if (row.direction === "CLIENT_TO_UPSTREAM" && row.rpcId && row.method) methodOf.set(`${row.sessionId}:${row.rpcId}`, row.method);
  // Skip the noise a preview does not need (initialize handshakes, pings).
  const interesting = rows.filter((row) => !["initialize", "ping", "notifications/initialized"].includes(row.method ?? ""));
  return interesting.slice(0, SAMPLE_LIMIT).map((row) => ({
    sessionId: row.sessionId,
    seq: row.seq,
    at: row.at.toISOString(),
    direction: row.direction === "CLIENT_TO_UPSTREAM" ? ("request" as const) : ("response" as const),
    kind: row.kind,
    method: row.method,
    tool: row.tool,
    requestMethod: row.direction === "UPSTREAM_TO_CLIENT" && row.rpcId ? (methodOf.get(`${row.sessionId}:${row.rpcId}`) ?? null) : null,
    payload: row.payload,
  }));
}
