import { createAccessRequest } from "../lib/access/create-access-request.ts";
import { decideAccessRequest } from "../lib/access/decide-access-request.ts";
import type { Actor } from "../lib/authz/permissions.ts";
import { DEMO_ROLE_MAPPINGS, parseRoleMappings } from "../lib/config.ts";
import { createConnection } from "../lib/connections/create-connection.ts";
import type { Db } from "../lib/db/client.ts";
import { seed } from "../lib/db/seed.ts";
import { savePolicy } from "../lib/policies/save-policy.ts";
import type { Rule } from "../lib/policy/schema.ts";
import { mintGatewayToken } from "../lib/tokens/mint-gateway-token.ts";

export const DEMO_SEED_USERS = [
  { subject: "alice", email: "alice@example.com", name: "Alice Requester", groups: ["engineering"] },
  { subject: "bob", email: "bob@example.com", name: "Bob Approver", groups: ["engineering", "sre-leads"] },
  { subject: "carol", email: "carol@example.com", name: "Carol Admin", groups: ["platform-admins"] },
];

export async function seedDemo(db: Db): Promise<{ alice: Actor; bob: Actor; carol: Actor }> {
  const { users } = await seed(db, { roleMappings: parseRoleMappings(DEMO_ROLE_MAPPINGS), demoUsers: DEMO_SEED_USERS });
  const [alice, bob, carol] = users.map((u) => ({ id: u.id, email: u.email, roles: u.roles }));
  return { alice: alice!, bob: bob!, carol: carol! };
}

/** requester asks, approver approves, requester mints a gateway token: the token and grant id. */
export async function grantAndMint(
  db: Db,
  options: { requester: Actor; approver: Actor; connection: string; minutes?: number },
): Promise<{ token: string; grantId: string }> {
  const request = await createAccessRequest(db, {
    actor: options.requester,
    connectionSlug: options.connection,
    minutes: options.minutes ?? 15,
    reason: "test",
  });
  const approved = await decideAccessRequest(db, { actor: options.approver, requestId: request.id, decision: "APPROVE" });
  const minted = await mintGatewayToken(db, { actor: options.requester, grantId: approved.grant!.id });
  return { token: minted.token, grantId: approved.grant!.id };
}

/**
 * Like `grantAndMint`, but the token is an OAuth access token as lib/oauth issues it (a gateway
 * token with `expiresAt`, the client it was issued to and the resource), ending at `expiresAt`.
 */
export async function grantAndMintOAuth(
  db: Db,
  options: { requester: Actor; approver: Actor; connection: string; minutes?: number; clientId: string; resource: string; expiresAt: Date },
): Promise<{ token: string; grantId: string; tokenId: string }> {
  const request = await createAccessRequest(db, {
    actor: options.requester,
    connectionSlug: options.connection,
    minutes: options.minutes ?? 15,
    reason: "test",
  });
  const grantId = (await decideAccessRequest(db, { actor: options.approver, requestId: request.id, decision: "APPROVE" })).grant!.id;
  const oauth = { clientId: options.clientId, resource: options.resource, expiresAt: options.expiresAt };
  const minted = await mintGatewayToken(db, { actor: options.requester, grantId, oauth });
  const row = await db.gatewayToken.findFirstOrThrow({ where: { grantId, prefix: minted.prefix }, select: { id: true } });
  return { token: minted.token, grantId, tokenId: row.id };
}

const ASK_SQL: Rule = {
  kind: "guardrail",
  id: "ask-sql",
  description: "SQL needs a human",
  match: { name: "run_sql" },
  action: "require-approval",
};
const MASK_EMAILS: Rule = { kind: "mask", id: "pii", detectors: ["email"], style: "redact" };

/**
 * The held-call tests' "db" connection: a Streamable HTTP upstream at `url` whose policy holds
 * run_sql for approval (rule "ask-sql") and, with `maskEmails`, masks emails first.
 */
export async function createHeldSqlConnection(
  harness: { t: { db: Db }; users: { carol: Actor }; vaultKey: Buffer },
  url: string,
  options: { maskEmails?: boolean } = {},
): Promise<void> {
  await createConnection(harness.t.db, {
    actor: harness.users.carol,
    vaultKey: harness.vaultKey,
    input: { slug: "db", name: "Database", transport: "streamable-http", url, maxMinutes: 60 },
  });
  await savePolicy(harness.t.db, {
    actor: harness.users.carol,
    target: { kind: "connection", slug: "db" },
    document: {
      default: "allow",
      rules: [...(options.maskEmails ? [MASK_EMAILS] : []), ASK_SQL],
    },
  });
}
