#!/usr/bin/env -S npx tsx
/**
 * `tollgate` — the command line over the portal's REST API (/api/v1).
 *
 *   TOLLGATE_URL    portal URL (default http://localhost:3000)
 *   TOLLGATE_TOKEN  personal API token (tg_…), created in the portal, or a service account's IdP-issued JWT
 *
 * Parsing and formatting are pure functions (parseCommand, formatResult) so they can be tested
 * without a server; main() wires them to fetch, stdout and stderr.
 */
import { readFileSync, realpathSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { AccessRequestView, GrantView } from "../lib/access/present.ts";
import type { CreateAccessRequestInput, DecideAccessRequestInput } from "../lib/access/schema.ts";
import type { AuditEventPage } from "../lib/audit/list-audit-events.ts";
import type { AuditChainResult } from "../lib/audit/verify-audit-chain.ts";
import type { ConnectionView } from "../lib/connections/present-connection.ts";
import type { RevokeGrantInput } from "../lib/grants/schema.ts";
import type { DecideHeldCallInput } from "../lib/held-calls/schema.ts";
import type { HeldCallView } from "../lib/held-calls/views.ts";
import type { PolicyVersionView, PolicyView } from "../lib/policies/present-policy.ts";
import type { PolicyPreview } from "../lib/policies/preview-policy.ts";
import type { Rule } from "../lib/policy/schema.ts";
import type { ExportFormat } from "../lib/recording/export-schema.ts";
import type { SessionListPage } from "../lib/recording/session-filters.ts";
import type { SessionEventView } from "../lib/recording/sessions.ts";
import type { SessionVerification } from "../lib/recording/verify-session.ts";
import type { GatewayTokenView } from "../lib/tokens/gateway-tokens.ts";
import type { MintedGatewayToken } from "../lib/tokens/views.ts";
import type { MeView } from "../lib/users/views.ts";

export const DEFAULT_URL = "http://localhost:3000";

export const HELP = `tollgate — just-in-time access to MCP servers, from the command line

Usage: tollgate <command> [options]

Commands:
  whoami                                        who the token belongs to, and the gateway URL
  connections                                   list the catalog of MCP servers
  request <slug> --minutes N --reason "…"       ask for N minutes of access to a connection
  requests [--pending | --all]                  your requests; --pending: awaiting a decision (approvers)
  approve <requestId> [--comment "…"]           approve a pending request
  deny <requestId> [--comment "…"]              deny a pending request
  cancel <requestId>                            withdraw your own pending request
  held [--pending | --status S] [--mine]        tool calls held for approval (yours; approvers: everyone's)
  approve-call <heldCallId> [--comment "…"] [--session]
                                                approve a held call; --session: identical calls pass for
                                                the rest of the session
  deny-call <heldCallId> [--comment "…"]        deny a held call (the client gets your comment)
  grants [--all] [--active]                     your grants; --all: everyone's; --active: only active ones
  token <grantId>                               mint a gateway token for your grant; prints only the token
  revoke <grantId> [--reason "…"]               revoke a grant
  sessions [--user EMAIL] [--connection SLUG] [--tool NAME] [--decision D]
           [--status live|ended|purged] [--from ISO] [--to ISO] [-q TEXT]
           [--limit N] [--cursor C]             recorded sessions, newest first (a page; -q: text in payloads)
  events <sessionId> [--after SEQ]              a session's recorded messages
  tokens <grantId>                              the gateway tokens minted for a grant
  revoke-token <tokenId>                        revoke one gateway token (the grant stays)
  audit [--action PREFIX] [--target ID]         the audit log (auditors, admins)
  session verify <sessionId>                    recompute a recording's hash chain (a purged one: its signed
                                                summary); exit 1 and the first bad event when broken
  session export <sessionId> [--format jsonl|transcript] [-o FILE]
                                                download a session: JSONL (one event per line, messages as
                                                recorded) or a readable UTC transcript; stdout without -o
  audit verify                                  recompute the audit hash chain and check its signed
                                                checkpoint (exit 1 when broken; alias: verify-audit)
  policy get <slug> | --global                  a connection's (or the global) guardrail and masking policy
  policy set <slug> | --global [file]           save a policy document (JSON; stdin when no file) as a new version
  policy versions <slug> | --global             the saved versions, newest first
  policy preview [--connection slug] [--direction request|response]
                 [--request-method m] [--policy draft.json] [file]
                                                what the gateway would do with one JSON-RPC message (stdin
                                                when no file): decision, rule, masked output
  help                                          this text

Options:
  --json    print the API's JSON instead of a table

Environment:
  TOLLGATE_URL    portal URL (default ${DEFAULT_URL})
  TOLLGATE_TOKEN  personal API token (tg_…), created in the portal, or a service account's JWT access token; required

Example:
  export TOLLGATE_TOKEN=tg_…
  tollgate request everything --minutes 15 --reason "incident 42"
  curl -H "Authorization: Bearer $(tollgate token <grantId>)" …
`;

export type CommandName =
  | "whoami"
  | "connections"
  | "request"
  | "requests"
  | "approve"
  | "deny"
  | "cancel"
  | "held"
  | "approve-call"
  | "deny-call"
  | "grants"
  | "token"
  | "tokens"
  | "revoke-token"
  | "audit"
  | "verify-audit"
  | "audit verify"
  | "session verify"
  | "session export"
  | "revoke"
  | "sessions"
  | "events"
  | "policy get"
  | "policy set"
  | "policy versions"
  | "policy preview";

export interface ApiCall {
  method: "GET" | "POST" | "PUT";
  /** Path and query, e.g. /api/v1/grants?scope=all */
  path: string;
  body?: Record<string, unknown>;
  /** The answer is a file to save (stdout, or `output`), streamed as it arrives, not JSON to format. */
  download?: { output: string | undefined };
}

export type ParsedCommand = { kind: "help" } | { kind: "call"; command: CommandName; call: ApiCall; json: boolean };

/** A mistake on the command line: the message says what to type instead. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

interface CommandSpec {
  /** Names of the positional arguments, all required; `[name]` marks an optional last one. */
  positionals: string[];
  options: Options;
  build: (args: { positionals: string[]; values: Record<string, string | boolean | undefined>; read: ReadInput }) => ApiCall;
}

/** Reads a file argument, or standard input for "-" or no file (injected so parsing stays testable). */
export type ReadInput = (file: string | undefined) => string;

export const readInputFromDisk: ReadInput = (file) => readFileSync(file === undefined || file === "-" ? 0 : file, "utf8");

function readJsonInput(read: ReadInput, file: string | undefined, what: string): unknown {
  let text: string;
  try {
    text = read(file);
  } catch (error) {
    throw new UsageError(`cannot read ${what} from ${file ?? "standard input"}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} in ${file ?? "standard input"} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The policy a command names: a connection slug, or --global. */
function policyPath(command: string, slug: string | undefined, global: boolean): string {
  if (global && slug !== undefined) throw new UsageError(`${command} takes a connection slug or --global, not both.`);
  if (global) return "/api/v1/policy";
  if (slug === undefined) throw new UsageError(`${command} needs a connection slug (or --global for the global policy).`);
  return `/api/v1/connections/${id(slug)}/policy`;
}

const id = (value: string) => encodeURIComponent(value);
const EXPORT_FORMATS: readonly ExportFormat[] = ["jsonl", "transcript"];
const HELD_CALL_STATUSES: readonly string[] = ["PENDING", "APPROVED", "DENIED", "EXPIRED", "CANCELLED", "ABANDONED"];
const str = (value: string | boolean | undefined): string | undefined => (typeof value === "string" ? value : undefined);

function wholeNumber(value: string, option: string, min: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a whole number${min > 0 ? ` of at least ${min}` : ""} (got "${value}").`);
  }
  return Number(value);
}

const COMMANDS: Record<CommandName, CommandSpec> = {
  whoami: { positionals: [], options: {}, build: () => ({ method: "GET", path: "/api/v1/me" }) },
  connections: { positionals: [], options: {}, build: () => ({ method: "GET", path: "/api/v1/connections" }) },
  request: {
    positionals: ["slug"],
    options: { minutes: { type: "string", short: "m" }, reason: { type: "string", short: "r" } },
    build: ({ positionals, values }) => {
      const minutes = str(values.minutes);
      const reason = str(values.reason);
      if (minutes === undefined) throw new UsageError("request needs --minutes N (how long you need access).");
      if (reason === undefined || !reason.trim()) throw new UsageError('request needs --reason "…" (why you need access).');
      return {
        method: "POST",
        path: "/api/v1/access-requests",
        body: { connection: positionals[0]!, minutes: wholeNumber(minutes, "--minutes", 1), reason } satisfies CreateAccessRequestInput,
      };
    },
  },
  requests: {
    positionals: [],
    options: { pending: { type: "boolean" }, all: { type: "boolean" } },
    build: ({ values }) => {
      if (values.pending && values.all) throw new UsageError("requests takes --pending or --all, not both.");
      const scope = values.pending ? "pending" : values.all ? "all" : "mine";
      return { method: "GET", path: `/api/v1/access-requests?scope=${scope}` };
    },
  },
  approve: {
    positionals: ["requestId"],
    options: { comment: { type: "string", short: "c" } },
    build: ({ positionals, values }) => decide(positionals[0]!, "approve", str(values.comment)),
  },
  deny: {
    positionals: ["requestId"],
    options: { comment: { type: "string", short: "c" } },
    build: ({ positionals, values }) => decide(positionals[0]!, "deny", str(values.comment)),
  },
  cancel: {
    positionals: ["requestId"],
    options: {},
    build: ({ positionals }) => ({ method: "POST", path: `/api/v1/access-requests/${id(positionals[0]!)}/cancel`, body: {} }),
  },
  held: {
    positionals: [],
    options: { pending: { type: "boolean" }, status: { type: "string" }, mine: { type: "boolean" } },
    build: ({ values }) => {
      const status = str(values.status)?.toUpperCase();
      if (values.pending && status !== undefined) throw new UsageError("held takes --pending or --status, not both.");
      if (status !== undefined && !HELD_CALL_STATUSES.includes(status)) {
        throw new UsageError(`--status must be one of ${HELD_CALL_STATUSES.join(", ")} (got "${str(values.status)}").`);
      }
      const query = new URLSearchParams({ scope: values.mine ? "mine" : "all" });
      if (values.pending || status) query.set("status", values.pending ? "PENDING" : (status as string));
      return { method: "GET", path: `/api/v1/held-calls?${query.toString()}` };
    },
  },
  "approve-call": {
    positionals: ["heldCallId"],
    options: { comment: { type: "string", short: "c" }, session: { type: "boolean" } },
    build: ({ positionals, values }) => {
      const body: DecideHeldCallInput = {};
      const comment = str(values.comment);
      if (comment !== undefined) body.comment = comment;
      if (values.session) body.scope = "session";
      return { method: "POST", path: `/api/v1/held-calls/${id(positionals[0]!)}/approve`, body };
    },
  },
  "deny-call": {
    positionals: ["heldCallId"],
    options: { comment: { type: "string", short: "c" } },
    build: ({ positionals, values }) => {
      const comment = str(values.comment);
      const body: DecideHeldCallInput = comment === undefined ? {} : { comment };
      return { method: "POST", path: `/api/v1/held-calls/${id(positionals[0]!)}/deny`, body };
    },
  },
  grants: {
    positionals: [],
    options: { all: { type: "boolean" }, active: { type: "boolean" } },
    build: ({ values }) => ({
      method: "GET",
      path: `/api/v1/grants?scope=${values.all ? "all" : "mine"}${values.active ? "&active=1" : ""}`,
    }),
  },
  token: {
    positionals: ["grantId"],
    options: {},
    build: ({ positionals }) => ({ method: "POST", path: `/api/v1/grants/${id(positionals[0]!)}/tokens` }),
  },
  tokens: {
    positionals: ["grantId"],
    options: {},
    build: ({ positionals }) => ({ method: "GET", path: `/api/v1/grants/${id(positionals[0]!)}/tokens` }),
  },
  "revoke-token": {
    positionals: ["tokenId"],
    options: {},
    build: ({ positionals }) => ({ method: "POST", path: `/api/v1/gateway-tokens/${id(positionals[0]!)}/revoke`, body: {} }),
  },
  audit: {
    positionals: [],
    options: { action: { type: "string" }, target: { type: "string" } },
    build: ({ values }) => {
      const query = new URLSearchParams();
      const action = str(values.action);
      const target = str(values.target);
      if (action) query.set("action", action);
      if (target) query.set("targetId", target);
      const qs = query.toString();
      return { method: "GET", path: `/api/v1/audit-events${qs ? `?${qs}` : ""}` };
    },
  },
  "verify-audit": { positionals: [], options: {}, build: () => ({ method: "GET", path: "/api/v1/audit-events/verify" }) },
  "audit verify": { positionals: [], options: {}, build: () => ({ method: "GET", path: "/api/v1/audit-events/verify" }) },
  "session verify": {
    positionals: ["sessionId"],
    options: {},
    build: ({ positionals }) => ({ method: "GET", path: `/api/v1/sessions/${id(positionals[0]!)}/verify` }),
  },
  "session export": {
    positionals: ["sessionId"],
    options: { format: { type: "string", short: "f" }, output: { type: "string", short: "o" } },
    build: ({ positionals, values }) => {
      const format = str(values.format) ?? "jsonl";
      if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(`--format must be ${EXPORT_FORMATS.join(" or ")} (got "${format}").`);
      }
      const output = str(values.output);
      if (output !== undefined && !output.trim()) throw new UsageError("-o needs a file name (or leave it out for standard output).");
      return {
        method: "GET",
        path: `/api/v1/sessions/${id(positionals[0]!)}/export?format=${format}`,
        download: { output: output === "-" ? undefined : output },
      };
    },
  },
  revoke: {
    positionals: ["grantId"],
    options: { reason: { type: "string", short: "r" } },
    build: ({ positionals, values }) => {
      const reason = str(values.reason);
      const body: RevokeGrantInput = reason === undefined ? {} : { reason };
      return { method: "POST", path: `/api/v1/grants/${id(positionals[0]!)}/revoke`, body };
    },
  },
  sessions: {
    positionals: [],
    options: {
      user: { type: "string" },
      connection: { type: "string" },
      tool: { type: "string" },
      decision: { type: "string" },
      status: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      search: { type: "string", short: "q" },
      cursor: { type: "string" },
      limit: { type: "string" },
    },
    build: ({ values }) => {
      // The query GET /api/v1/sessions parses with listSessionsQuerySchema; --search is its `q`.
      const query = new URLSearchParams();
      for (const name of ["user", "connection", "tool", "decision", "status", "from", "to", "cursor", "limit"] as const) {
        const value = str(values[name]);
        if (value !== undefined) query.set(name, value);
      }
      const search = str(values.search);
      if (search !== undefined) query.set("q", search);
      const qs = query.toString();
      return { method: "GET", path: `/api/v1/sessions${qs ? `?${qs}` : ""}` };
    },
  },
  events: {
    positionals: ["sessionId"],
    options: { after: { type: "string" } },
    build: ({ positionals, values }) => {
      const after = str(values.after);
      const query = after === undefined ? "" : `?after=${wholeNumber(after, "--after", 0)}`;
      return { method: "GET", path: `/api/v1/sessions/${id(positionals[0]!)}/events${query}` };
    },
  },
  "policy get": {
    positionals: ["[slug]"],
    options: { global: { type: "boolean" } },
    build: ({ positionals, values }) => ({ method: "GET", path: policyPath("policy get", positionals[0], values.global === true) }),
  },
  "policy versions": {
    positionals: ["[slug]"],
    options: { global: { type: "boolean" } },
    build: ({ positionals, values }) => ({
      method: "GET",
      path: `${policyPath("policy versions", positionals[0], values.global === true)}/versions`,
    }),
  },
  "policy set": {
    positionals: ["[slug]", "[file]"],
    options: { global: { type: "boolean" } },
    build: ({ positionals, values, read }) => {
      const global = values.global === true;
      const [slug, file] = global ? [undefined, positionals[0]] : [positionals[0], positionals[1]];
      if (global && positionals.length > 1) throw new UsageError("policy set --global takes at most one file.");
      const document = readJsonInput(read, file, "the policy");
      if (!document || typeof document !== "object" || Array.isArray(document)) {
        throw new UsageError('the policy must be a JSON object: {"default": "allow", "rules": [...]}.');
      }
      return { method: "PUT", path: policyPath("policy set", slug, global), body: document as Record<string, unknown> };
    },
  },
  "policy preview": {
    positionals: ["[file]"],
    options: {
      connection: { type: "string" },
      direction: { type: "string" },
      "request-method": { type: "string" },
      policy: { type: "string" },
    },
    build: ({ positionals, values, read }) => {
      const direction = str(values.direction) ?? "response";
      if (direction !== "request" && direction !== "response") throw new UsageError('--direction must be "request" or "response".');
      const policyFile = str(values.policy);
      const body: Record<string, unknown> = { message: readJsonInput(read, positionals[0], "the message"), direction };
      const connection = str(values.connection);
      const requestMethod = str(values["request-method"]);
      if (connection) body.connection = connection;
      if (requestMethod) body.requestMethod = requestMethod;
      if (policyFile) body.policy = readJsonInput(read, policyFile, "the draft policy");
      return { method: "POST", path: "/api/v1/policy/preview", body };
    },
  },
};

function decide(requestId: string, action: "approve" | "deny", comment: string | undefined): ApiCall {
  return {
    method: "POST",
    path: `/api/v1/access-requests/${id(requestId)}/${action}`,
    body: (comment === undefined ? {} : { comment }) satisfies DecideAccessRequestInput,
  };
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Turns argv (without node and the script) into the API call to make, or throws UsageError. */
export function parseCommand(argv: readonly string[], read: ReadInput = readInputFromDisk): ParsedCommand {
  // Two-word commands ("policy get") are one name in COMMANDS.
  const twoWords =
    (argv[0] === "policy" && argv[1] !== undefined && !argv[1].startsWith("-")) ||
    ((argv[0] === "audit" || argv[0] === "session") && argv[1] === "verify") ||
    (argv[0] === "session" && argv[1] === "export");
  const [name, ...rest] = twoWords ? [`${argv[0]} ${argv[1]}`, ...argv.slice(2)] : argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") return { kind: "help" };
  if (name === "policy") throw new UsageError('policy needs a subcommand: get, set, versions or preview. Run "tollgate help".');
  if (!isCommand(name)) throw new UsageError(`Unknown command "${name}". Run "tollgate help" for the list.`);
  const spec = COMMANDS[name];
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...rest],
      options: { ...spec.options, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // node:util reports unknown options and missing option values as TypeErrors with a usable message.
    throw new UsageError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (parsed.values.help) return { kind: "help" };
  const usage = `tollgate ${name}${spec.positionals.map((p) => (p.startsWith("[") ? ` ${p}` : ` <${p}>`)).join("")}`;
  const required = spec.positionals.filter((p) => !p.startsWith("[")).length;
  if (parsed.positionals.length < required) {
    throw new UsageError(`${name} needs <${spec.positionals[parsed.positionals.length]}>: ${usage}`);
  }
  if (parsed.positionals.length > spec.positionals.length) {
    throw new UsageError(
      `${name} takes ${spec.positionals.length || "no"} argument${spec.positionals.length === 1 ? "" : "s"}, got "${parsed.positionals.join(" ")}": ${usage}`,
    );
  }
  if (parsed.positionals.some((value) => !value.trim())) throw new UsageError(`${name}: arguments must not be empty.`);
  const call = spec.build({ positionals: parsed.positionals, values: parsed.values, read });
  return { kind: "call", command: name, call, json: parsed.values.json === true };
}

// ---- output ----------------------------------------------------------------------------------

/** A compact, left-aligned text table; the last column is never padded. */
export function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "(none)";
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** 2026-01-02T03:04:05.678Z → 2026-01-02 03:04:05Z (UTC, to the second). */
function time(iso: string | null | undefined): string {
  if (!iso) return "-";
  return iso.replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function describeRequest(request: AccessRequestView): string {
  const lines = [
    `Request ${request.id}: ${request.status}`,
    `  connection  ${request.connection.slug} (${request.connection.name})`,
    `  requester   ${request.requester.email}`,
    `  minutes     ${request.minutes}`,
    `  reason      ${request.reason}`,
  ];
  for (const approval of request.approvals) {
    lines.push(
      `  ${approval.decision === "APPROVE" ? "approved" : "denied"} by ${approval.approver.email}${approval.comment ? `: ${approval.comment}` : ""}`,
    );
  }
  if (request.grant) lines.push(`  grant       ${request.grant.id} ${request.grant.status} until ${time(request.grant.expiresAt)}`);
  return lines.join("\n");
}

/** "4m 05s left" for a pending call's deadline; the end time otherwise. */
function deadlineText(call: HeldCallView, now = Date.now()): string {
  if (call.status !== "PENDING") return time(call.decidedAt);
  const left = Math.max(0, Math.round((new Date(call.deadline).getTime() - now) / 1000));
  return `${Math.floor(left / 60)}m ${String(left % 60).padStart(2, "0")}s left`;
}

function describeHeldCall(call: HeldCallView): string {
  const lines = [
    `Held call ${call.id}: ${call.status}${call.scope === "session" ? " (for the rest of the session)" : ""}`,
    `  caller      ${call.caller.email}`,
    `  call        ${call.method}${call.tool ? ` ${call.tool}` : ""} on ${call.connection.slug}`,
    `  rule        ${call.rule.id}${call.rule.description ? ` — ${call.rule.description}` : ""}`,
    `  arguments   ${call.arguments === null ? "(withheld: they could not be masked)" : truncate(JSON.stringify(call.arguments), 200)}`,
  ];
  if (call.decidedBy) lines.push(`  decided by  ${call.decidedBy.email}${call.comment ? `: ${call.comment}` : ""}`);
  if (call.endReason) lines.push(`  ended       ${call.endReason}`);
  return lines.join("\n");
}

function ruleRow(rule: Rule): string[] {
  if (rule.kind === "guardrail") {
    const match = [
      rule.match.method ? `method ${rule.match.method}` : "",
      rule.match.name ? `name ${rule.match.name}` : "",
      rule.match.arguments?.length ? `${rule.match.arguments.length} argument matcher(s)` : "",
    ].filter(Boolean);
    return [rule.id ?? "", "guardrail", rule.action, match.join(", "), rule.description ?? ""];
  }
  const select = [
    rule.detectors?.length ? `detectors ${rule.detectors.join(",")}` : "",
    rule.keys?.length ? `keys ${rule.keys.join(",")}` : "",
    rule.paths?.length ? `paths ${rule.paths.join(",")}` : "",
    rule.regex ? `regex (${rule.label ?? "custom"})` : "",
  ].filter(Boolean);
  return [rule.id ?? "", "mask", rule.style, select.join("; "), rule.description ?? ""];
}

/** What to print on stdout for a successful call. */
export function formatResult(command: CommandName, data: unknown, json: boolean): string {
  if (json) return JSON.stringify(data, null, 2);
  switch (command) {
    case "whoami": {
      const me = data as MeView;
      return [
        `${me.user.email}${me.user.name ? ` (${me.user.name})` : ""}`,
        `roles    ${me.user.roles.join(", ")}`,
        `gateway  ${me.gatewayUrl}`,
      ].join("\n");
    }
    case "connections":
      return table(
        ["SLUG", "NAME", "TRANSPORT", "MAX MIN", "DESCRIPTION"],
        (data as ConnectionView[]).map((c) => [c.slug, c.name, c.transport, String(c.maxMinutes), truncate(c.description ?? "", 60)]),
      );
    case "requests":
      return table(
        ["ID", "STATUS", "CONNECTION", "MIN", "REQUESTER", "CREATED", "REASON"],
        (data as AccessRequestView[]).map((r) => [
          r.id,
          r.status,
          r.connection.slug,
          String(r.minutes),
          r.requester.email,
          time(r.createdAt),
          truncate(r.reason, 50),
        ]),
      );
    case "request":
    case "approve":
    case "deny":
    case "cancel":
      return describeRequest(data as AccessRequestView);
    case "held":
      return table(
        ["ID", "STATUS", "CONNECTION", "TOOL", "CALLER", "RULE", "DEADLINE / ENDED"],
        (data as HeldCallView[]).map((c) => [
          c.id,
          c.status,
          c.connection.slug,
          c.tool ?? c.method,
          c.caller.email,
          c.rule.id,
          deadlineText(c),
        ]),
      );
    case "approve-call":
    case "deny-call":
      return describeHeldCall(data as HeldCallView);
    case "grants":
      return table(
        ["ID", "STATUS", "CONNECTION", "USER", "STARTS", "EXPIRES"],
        (data as GrantView[]).map((g) => [
          g.id,
          g.status,
          g.connection?.slug ?? "-",
          g.user?.email ?? "-",
          time(g.startsAt),
          time(g.expiresAt),
        ]),
      );
    case "token":
      // Only the token, so that $(tollgate token …) works.
      return (data as MintedGatewayToken).token;
    case "revoke": {
      const grant = data as GrantView;
      return `Grant ${grant.id}${grant.connection ? ` (${grant.connection.slug})` : ""}: ${grant.status} at ${time(grant.revokedAt)}`;
    }
    case "tokens":
      return table(
        ["ID", "PREFIX", "CREATED", "LAST USED", "REVOKED"],
        (data as GatewayTokenView[]).map((t) => [
          t.id,
          `${t.prefix}…`,
          time(t.createdAt),
          t.lastUsedAt ? time(t.lastUsedAt) : "never",
          t.revokedAt ? time(t.revokedAt) : "",
        ]),
      );
    case "revoke-token": {
      const token = data as GatewayTokenView;
      return `Gateway token ${token.prefix}… revoked at ${time(token.revokedAt)}`;
    }
    case "audit":
      return table(
        ["ID", "AT", "ACTOR", "ACTION", "TARGET"],
        (data as AuditEventPage).events.map((e) => [e.id, time(e.at), e.actorEmail ?? "system", e.action, `${e.targetType} ${e.targetId}`]),
      );
    case "verify-audit":
    case "audit verify": {
      const result = data as AuditChainResult;
      if (!result.ok) return `Audit chain BROKEN at event ${result.brokenAt}: ${result.reason}`;
      const checkpoint = result.checkpoint
        ? `; checkpoint of event ${result.checkpoint.eventId} (${time(result.checkpoint.at)}) intact`
        : "";
      return `Audit chain intact: ${result.events} events verified${checkpoint}`;
    }
    case "session export":
      // Streamed to stdout or a file by main(); never formatted.
      return typeof data === "string" ? data : JSON.stringify(data);
    case "session verify": {
      const result = data as SessionVerification;
      if (result.purged) {
        const summary = result.purged.summary;
        const what = summary
          ? `${summary.events} events (#${summary.firstSeq ?? 0}–#${summary.lastSeq ?? 0}), chain head ${summary.lastHash}`
          : "no summary";
        if (result.firstBad?.problem === "summary-invalid")
          return `Purged recording: summary INVALID — ${result.purged.reason ?? "it does not check out"}`;
        if (result.firstBad)
          return `Purged recording: summary signed, but the chain was ${result.firstBad.problem.toUpperCase()} at event #${result.firstBad.seq} when purged (${what})`;
        return `Purged recording (events deleted by retention at ${time(result.purged.at)}): signed summary verified — ${what}`;
      }
      if (result.firstBad)
        return `Recording ${result.firstBad.problem.toUpperCase()} at event #${result.firstBad.seq} (${result.events} events read)`;
      return `Recording verified: ${result.events} events${result.headChecked ? "" : " (session still open: newest events not yet checked against a stored head)"}`;
    }
    case "sessions": {
      const page = data as SessionListPage;
      const rows = table(
        ["ID", "CONNECTION", "USER", "TRANSPORT", "STARTED", "ENDED", "EVENTS", "END REASON"],
        page.sessions.map((s) => [
          s.id,
          s.connection.slug,
          s.user.email,
          s.transport,
          time(s.startedAt),
          s.endedAt ? time(s.endedAt) : "live",
          String(s.eventCount),
          s.endReason ?? "",
        ]),
      );
      return page.nextCursor ? `${rows}\nMore: add --cursor ${page.nextCursor}` : rows;
    }
    case "policy get":
    case "policy set": {
      const policy = data as PolicyView;
      const where = policy.connection ? `Policy of ${policy.connection}` : "Global policy";
      const saved =
        policy.version === 0 ? "never saved" : `version ${policy.version} by ${policy.updatedBy ?? "?"} at ${time(policy.updatedAt)}`;
      return [
        `${where}: ${saved}; default ${policy.default}`,
        table(["ID", "KIND", "ACTION", "MATCH / SELECT", "DESCRIPTION"], policy.rules.map(ruleRow)),
      ].join("\n");
    }
    case "policy versions":
      return table(
        ["VERSION", "SAVED", "BY", "SUMMARY"],
        (data as PolicyVersionView[]).map((v) => [String(v.version), time(v.createdAt), v.createdBy ?? "-", v.summary]),
      );
    case "policy preview": {
      const preview = data as PolicyPreview;
      const counts = Object.entries(preview.counts)
        .map(([kind, count]) => `${kind} ${count}`)
        .join(", ");
      return [
        `decision  ${preview.decision}${preview.reason ? ` — ${preview.reason}` : ""}`,
        `masked    ${counts || "nothing"}${preview.hidden ? `; ${preview.hidden} list item(s) hidden` : ""}`,
        JSON.stringify(preview.masked, null, 2),
      ].join("\n");
    }
    case "events":
      return table(
        ["SEQ", "AT", "DIRECTION", "KIND", "ID", "METHOD", "TOOL"],
        (data as SessionEventView[]).map((e) => [
          String(e.seq),
          time(e.at),
          e.direction,
          e.kind,
          e.rpcId ?? "",
          e.method ?? "",
          e.tool ?? "",
        ]),
      );
  }
}

/** The message to show for a failed response: the API's error.message when there is one. */
export function errorMessage(status: number, body: unknown, fallback: string): string {
  if (body && typeof body === "object" && "error" in body) {
    const error = (body as { error: unknown }).error;
    if (error && typeof error === "object" && "message" in error && typeof error.message === "string") return error.message;
  }
  return `HTTP ${status} ${fallback}`.trim();
}

// ---- running ---------------------------------------------------------------------------------

export interface CliIo {
  env: Record<string, string | undefined>;
  fetch: typeof fetch;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs one command; returns the process exit code (0 ok, 1 any error). */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`tollgate: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (parsed.kind === "help") {
    io.stdout(HELP);
    return 0;
  }

  const token = io.env.TOLLGATE_TOKEN?.trim();
  if (!token) {
    io.stderr("tollgate: TOLLGATE_TOKEN is not set. Create a personal API token in the portal and export TOLLGATE_TOKEN=tg_…\n");
    return 1;
  }
  const base = (io.env.TOLLGATE_URL?.trim() || DEFAULT_URL).replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(parsed.call.path, `${base}/`);
  } catch {
    io.stderr(`tollgate: TOLLGATE_URL "${base}" is not a valid URL.\n`);
    return 1;
  }

  let response: Response;
  try {
    response = await io.fetch(url, {
      method: parsed.call.method,
      headers: {
        Authorization: `Bearer ${token}`,
        Accept: parsed.call.download ? "application/x-ndjson, text/plain, application/json" : "application/json",
        ...(parsed.call.body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      body: parsed.call.body !== undefined ? JSON.stringify(parsed.call.body) : undefined,
      redirect: "manual",
    });
  } catch (error) {
    const cause =
      error instanceof Error && error.cause instanceof Error ? error.cause.message : error instanceof Error ? error.message : String(error);
    io.stderr(`tollgate: cannot reach Tollgate at ${base} (${cause}). Is TOLLGATE_URL right?\n`);
    return 1;
  }

  if (parsed.call.download && response.ok) return download(response, parsed.call.download.output, io);
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    io.stderr(`tollgate: ${errorMessage(response.status, body, response.statusText)}\n`);
    return 1;
  }
  if (body === undefined) {
    io.stderr(`tollgate: ${url.origin} answered HTTP ${response.status} with something other than JSON. Is TOLLGATE_URL the portal?\n`);
    return 1;
  }
  io.stdout(`${formatResult(parsed.command, body, parsed.json)}\n`);
  // A verification that found tampering fails the command, so scripts and CI can act on it.
  const verified = body && typeof body === "object" && "ok" in body ? (body as { ok: unknown }).ok : undefined;
  return verified === false && (parsed.command.endsWith("verify") || parsed.command === "verify-audit") ? 1 : 0;
}

/** Saves a download as it arrives: to `output`, or to stdout; a line on stderr says where it went. */
async function download(response: Response, output: string | undefined, io: CliIo): Promise<number> {
  const file = output === undefined ? undefined : await open(output, "w").catch((error: Error) => error);
  if (file instanceof Error) {
    io.stderr(`tollgate: cannot write ${output}: ${file.message}\n`);
    await response.body?.cancel();
    return 1;
  }
  const decoder = new TextDecoder();
  let bytes = 0;
  try {
    const reader = response.body?.getReader();
    for (;;) {
      const next = reader ? await reader.read() : { done: true as const, value: undefined };
      if (next.done) break;
      const chunk = next.value;
      bytes += chunk.byteLength;
      if (file) await file.write(chunk);
      else io.stdout(decoder.decode(chunk, { stream: true }));
    }
    if (!file) {
      const rest = decoder.decode();
      if (rest) io.stdout(rest);
    }
  } catch (error) {
    io.stderr(`tollgate: the download broke off after ${bytes} bytes: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await file?.close();
  }
  if (output !== undefined) {
    const capped = response.headers.get("x-tollgate-export-capped") === "true" ? " (capped: more sessions matched)" : "";
    io.stderr(`Wrote ${bytes} bytes to ${output}${capped}\n`);
  }
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    // Through the npm bin symlink argv[1] is the link; compare real paths.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  const code = await main(process.argv.slice(2), {
    env: process.env,
    fetch: globalThis.fetch,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
  process.exitCode = code;
}
