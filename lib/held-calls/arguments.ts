import type { DbOrTx } from "../db/client.ts";
import { Prisma } from "../db/generated/client.ts";
import { canonicalJson, sha256Hex } from "../hash.ts";
import { loadPolicyDocuments } from "../policies/load-policies.ts";
import { type CompiledPolicy, compilePolicy, evaluateMessage } from "../policy/index.ts";

// The arguments of a held call: what the approval is bound to (a hash), and what approvers are
// shown (masked by the connection's policy, exactly as the recording masks the request).

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The params that identify a call: everything the client sent but `_meta` (a progress token
 * differs on every retry and changes nothing about what the call does).
 */
export function identifyingParams(params: unknown): unknown {
  if (params === undefined || params === null) return {};
  if (!isRecord(params) || !Object.hasOwn(params, "_meta")) return params;
  const { _meta: _ignored, ...rest } = params;
  return rest;
}

/** SHA-256 (hex) of the canonical JSON of the params without `_meta`: a changed argument is a different call. */
export function argumentsHash(params: unknown): string {
  return sha256Hex(canonicalJson(identifyingParams(params)));
}

/** The tool, prompt or resource a request names (as the recording's `tool` column has it). */
export function targetOf(method: string, params: unknown): string | null {
  if (!isRecord(params)) return null;
  if ((method === "tools/call" || method === "prompts/get") && typeof params.name === "string") return params.name;
  if (method.startsWith("resources/") && typeof params.uri === "string") return params.uri;
  return null;
}

/** The params as the connection's masking rules leave them; throws when the policy cannot be applied. */
export function maskArguments(policy: CompiledPolicy, call: { method: string; rpcId: string; arguments: unknown }): unknown {
  const message = { jsonrpc: "2.0", id: call.rpcId, method: call.method, params: call.arguments };
  const masked = evaluateMessage(policy, { direction: "request", message }).record as { params?: unknown };
  return masked.params ?? null;
}

/**
 * Masks the arguments of held calls with their connection's policies in force, compiling each
 * connection's policy once per use. Anything that cannot be masked comes back null (withheld),
 * never unmasked.
 */
export function argumentMasker(db: DbOrTx, hashKey: Uint8Array) {
  const compiled = new Map<string, Promise<CompiledPolicy | null>>();
  const policyFor = (connectionId: string) => {
    let policy = compiled.get(connectionId);
    if (!policy) {
      policy = loadPolicyDocuments(db, connectionId).then(
        (documents) => {
          try {
            return compilePolicy({ global: documents.global, connection: documents.connection, hashKey });
          } catch {
            return null;
          }
        },
        () => null,
      );
      compiled.set(connectionId, policy);
    }
    return policy;
  };
  return async (call: { connectionId: string; method: string; rpcId: string; arguments: unknown }): Promise<unknown> => {
    const policy = await policyFor(call.connectionId);
    if (!policy) return null;
    try {
      return maskArguments(policy, call);
    } catch {
      return null;
    }
  };
}
export type ArgumentMasker = ReturnType<typeof argumentMasker>;

/**
 * A decided held call (approved, denied, expired, cancelled, abandoned) keeps no raw arguments:
 * approvers needed them only while it was pending, and the holding gateway forwards the message it
 * holds in memory. They are replaced by the params of the recorded request (masked, as the
 * recording stores them; recorded just before the row was created), or JSON null when the recording
 * has none. Run it in the transaction that
 * decides the calls, after the status change.
 */
export async function forgetRawArguments(tx: DbOrTx, heldCallIds: string[]): Promise<void> {
  if (heldCallIds.length === 0) return;
  await tx.$executeRaw`UPDATE "HeldCall" h
    SET "arguments" = COALESCE(
      (SELECT e."payload" -> 'params' FROM "SessionEvent" e
        WHERE e."sessionId" = h."sessionId" AND e."rpcId" = h."rpcId" AND e."decision" = 'require-approval'
          AND e."at" <= h."createdAt"
        ORDER BY e."seq" DESC LIMIT 1),
      'null'::jsonb)
    WHERE h."id" IN (${Prisma.join(heldCallIds)}) AND h."status" <> 'PENDING'`;
}
