import { performance } from "node:perf_hooks";
import { compilePolicy, evaluateMessage } from "./evaluate.ts";
import type { PolicyDocument } from "./schema.ts";

// Cost of the policy engine per message, for `npm run bench` and for tuning the detectors. The
// message is a realistic ~10 KB tools/call result: prose, a JSON document serialized into a text
// block, structuredContent with nested records, and a few secrets and personal data sprinkled in.

const PROSE = [
  "The quarterly report for the EMEA region shows revenue of $1,234,567.89, up 12.5% on the previous quarter.",
  "Release v2.10.3 shipped on 2026-11-22T10:15:30Z; the rollback plan is documented in ticket OPS-4821.",
  "Customer Jane Doe (jane.doe@example.com) asked about invoice 2026-000451 and order number 1234 5678 9012 3456.",
  "The on-call engineer can be reached at +1 415 555 2671 between 09:00 and 17:30 CET, Monday to Friday.",
  "Build 4f3c2a1 (commit da39a3ee5e6b4b0d3255bfef95601890afd80709) passed 1,482 tests in 3 minutes 12 seconds.",
  "Session 123e4567-e89b-12d3-a456-426614174000 was opened from 10.20.30.40 and closed after 15 minutes.",
  "Latency p50 was 12.4 ms, p95 48.1 ms and p99 102.7 ms across 3 availability zones and 18 nodes.",
  "Please review the migration plan before Thursday; the database will be read-only for about 20 minutes.",
];

export function buildBenchMessage(): unknown {
  const paragraphs: string[] = [];
  for (let i = 0; paragraphs.join("\n").length < 6400; i++) paragraphs.push(PROSE[i % PROSE.length]!);
  paragraphs.splice(9, 0, "Test card on file: 4111 1111 1111 1111, refunds go to IBAN GB82 WEST 1234 5698 7654 32.");
  const records = Array.from({ length: 12 }, (_, i) => ({
    id: `cus_${1000 + i}`,
    name: `Customer ${i}`,
    email: `customer${i}@example.org`,
    plan: i % 3 === 0 ? "enterprise" : "team",
    seats: 5 + i,
    createdAt: `2026-0${1 + (i % 9)}-1${i % 10}T08:00:00Z`,
    tags: ["billing", "priority", `region-${i % 4}`],
  }));
  const blob = {
    query: "SELECT id, name, email FROM customers WHERE plan = 'enterprise' LIMIT 50",
    rows: records.slice(0, 6),
    config: { region: "eu-west-1", aws_access_key_id: "AKIAIOSFODNN7EXAMPLE", retries: 3 },
  };
  return {
    jsonrpc: "2.0",
    id: 42,
    result: {
      content: [
        { type: "text", text: paragraphs.join("\n") },
        { type: "text", text: JSON.stringify(blob, null, 2) },
      ],
      structuredContent: {
        summary: { total: records.length, currency: "EUR", revenue: 1234567.89, owner: "ops-team@example.com" },
        customers: records.slice(6),
        integration: { endpoint: "https://api.example.com/v1/hooks", apiKey: "sk_test_4eC39HqLyjWDarjtT1zdp7dc", timeoutMs: 2500 },
        notes: ["Contact support via the portal.", "Authorization: Bearer abc123DEF456ghi789jkl", "Escalate after 30 minutes."],
      },
      isError: false,
    },
  };
}

const REQUEST = {
  jsonrpc: "2.0",
  id: 7,
  method: "tools/call",
  params: { name: "run_query", arguments: { query: "SELECT * FROM orders WHERE id = 42", options: { force: false }, limit: 50 } },
};

const GUARDRAILS: PolicyDocument = {
  default: "allow",
  rules: [
    {
      id: "r-deny-drop",
      kind: "guardrail",
      description: "No destructive SQL",
      match: { name: "run_*", arguments: [{ path: "$.query", regex: "(?i)\\b(drop|truncate|delete)\\b" }] },
      action: "deny",
    },
    { id: "r-delete", kind: "guardrail", match: { method: "tools/call", name: "delete_*" }, action: "deny" },
    {
      id: "r-force",
      kind: "guardrail",
      match: { name: "*", arguments: [{ path: "$.options.force", equals: true }] },
      action: "require-approval",
      holdMinutes: 30,
    },
  ],
};

const MASKING: PolicyDocument = {
  default: "allow",
  rules: [
    { id: "r-all", kind: "mask", detectors: ["all"], style: "redact" },
    { id: "r-keys", kind: "mask", keys: ["apiKey", "password"], style: "hash" },
    { id: "r-orders", kind: "mask", regex: "OPS-\\d{4}", label: "ticket", style: "partial" },
  ],
};

const ROUNDS = 3;

/**
 * Average milliseconds per call over `iterations` calls after a warm-up; the best of three such
 * rounds, so that a burst of other work on the machine does not decide the number.
 */
function time(run: () => unknown, iterations: number): number {
  for (let i = 0; i < 1000; i++) run();
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) run();
    best = Math.min(best, (performance.now() - started) / iterations);
  }
  return best;
}

export const BENCH_MESSAGE_BYTES = JSON.stringify(buildBenchMessage()).length;

/** Milliseconds per message for each scenario (see `time`). */
export async function benchPolicy(iterations = 2000): Promise<Array<{ scenario: string; perMessageMs: number }>> {
  const hashKey = new Uint8Array(32).fill(7);
  const message = buildBenchMessage();
  const none = compilePolicy({ global: null, connection: null, hashKey });
  const guardrails = compilePolicy({ global: GUARDRAILS, connection: null, hashKey });
  const masking = compilePolicy({ global: GUARDRAILS, connection: MASKING, hashKey });
  const kb = (BENCH_MESSAGE_BYTES / 1024).toFixed(1);
  return [
    {
      scenario: `no rules (${kb} KB response)`,
      perMessageMs: time(() => evaluateMessage(none, { direction: "response", message }), iterations),
    },
    {
      scenario: "guardrails only (tools/call request)",
      perMessageMs: time(() => evaluateMessage(guardrails, { direction: "request", message: REQUEST }), iterations),
    },
    {
      scenario: `all detectors + key rule + regex rule (${kb} KB response)`,
      perMessageMs: time(() => evaluateMessage(masking, { direction: "response", message }), iterations),
    },
  ];
}
