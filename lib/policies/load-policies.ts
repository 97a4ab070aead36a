import type { DbOrTx } from "../db/client.ts";
import type { PolicyDocument } from "../policy/schema.ts";
import { connectionScope, GLOBAL_SCOPE } from "./policy-scope.ts";

export interface PolicyDocuments {
  global: PolicyDocument | null;
  connection: PolicyDocument | null;
  /** "g<global version>.c<connection version>": changes whenever either level is saved. */
  version: string;
}

/** The policies in force for one connection (global + its own), as the gateway compiles them. */
export async function loadPolicyDocuments(db: DbOrTx, connectionId: string | null): Promise<PolicyDocuments> {
  const scopes = connectionId ? [GLOBAL_SCOPE, connectionScope(connectionId)] : [GLOBAL_SCOPE];
  const rows = await db.policyVersion.findMany({
    where: { scope: { in: scopes } },
    orderBy: { version: "desc" },
    distinct: ["scope"],
    select: { scope: true, version: true, document: true },
  });
  const global = rows.find((row) => row.scope === GLOBAL_SCOPE);
  const connection = rows.find((row) => row.scope !== GLOBAL_SCOPE);
  return {
    global: (global?.document as PolicyDocument | undefined) ?? null,
    connection: (connection?.document as PolicyDocument | undefined) ?? null,
    version: `g${global?.version ?? 0}.c${connection?.version ?? 0}`,
  };
}
