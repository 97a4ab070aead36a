import { writeAuditEvent } from "../audit/write-audit-event.ts";
import type { Actor } from "../authz/permissions.ts";
import type { Db } from "../db/client.ts";
import { type ExportFormat, MAX_EXPORT_SESSIONS } from "./export-schema.ts";
import { searchSessions } from "./search-sessions.ts";
import type { SessionFilters } from "./session-filters.ts";
import { findVisibleSession, presentSession, type SessionRow, sessionInclude } from "./sessions.ts";
import { verifyPurgedSummary } from "./verify-purged.ts";
import { verifySessionChain } from "./verify-session.ts";
import type { SessionVerification } from "./views.ts";

// Exports of recorded sessions, as JSONL (one JSON object per line) or as a readable transcript.
// The body is produced lazily, one page of events at a time, so a 100,000-event session is never
// in memory; the audit event is written before the first byte.

/** Events read per query while streaming. */
export const EXPORT_PAGE = 1000;

export interface ExportOptions {
  actor: Actor;
  format: ExportFormat;
  /** TOLLGATE_SECRET_KEY's bytes, to check purged sessions' signed summaries; null: not checked. */
  vaultKey: Uint8Array | null;
}

export interface SessionExport {
  /** For Content-Disposition. */
  filename: string;
  contentType: string;
  sessions: number;
  events: number;
  /** A filtered export: whether more sessions matched than it contains (MAX_EXPORT_SESSIONS). */
  capped: boolean;
  /** The body, in chunks of text. */
  body: AsyncIterable<string>;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  jsonl: "application/x-ndjson; charset=utf-8",
  transcript: "text/plain; charset=utf-8",
};
const EXTENSIONS: Record<ExportFormat, string> = { jsonl: "jsonl", transcript: "txt" };

/** One session, which the actor must be allowed to see (else NOT_FOUND, as for one that does not exist). */
export async function exportSession(db: Db, options: ExportOptions & { sessionId: string }): Promise<SessionExport> {
  const session = await findVisibleSession(db, options.actor, options.sessionId);
  const events = session._count.events;
  await db.$transaction(async (tx) => {
    await writeAuditEvent(tx, {
      actor: options.actor,
      action: "session.exported",
      targetType: "Session",
      targetId: session.id,
      data: { format: options.format, sessions: 1, events },
    });
  });
  const body =
    options.format === "jsonl" ? sessionEventLines(db, session.id, {}) : sessionTranscript(db, session, options.vaultKey, new Date());
  return {
    filename: `tollgate-session-${session.id}.${EXTENSIONS[options.format]}`,
    contentType: CONTENT_TYPES[options.format],
    sessions: 1,
    events,
    capped: false,
    body,
  };
}

/**
 * The sessions the actor may see that match `filters` (the sessions list's), newest first, at most
 * MAX_EXPORT_SESSIONS of them. JSONL: an `{"export": …}` line, then per session a `{"session": …}`
 * line followed by its events (each with its sessionId). Transcript: the transcripts one after another.
 */
export async function exportSessions(db: Db, options: ExportOptions & { filters: SessionFilters }): Promise<SessionExport> {
  const filters = Object.fromEntries(Object.entries(options.filters).filter(([, value]) => value !== undefined)) as SessionFilters;
  const page = await searchSessions(db, { ...filters, actor: options.actor, limit: MAX_EXPORT_SESSIONS });
  const ids = page.sessions.map((session) => session.id);
  const events = page.sessions.reduce((sum, session) => sum + session.eventCount, 0);
  const capped = page.nextCursor !== null;
  await db.$transaction(async (tx) => {
    await writeAuditEvent(tx, {
      actor: options.actor,
      action: "session.exported",
      targetType: "Session",
      targetId: `${ids.length} sessions`,
      data: { format: options.format, filters, sessions: ids.length, sessionIds: ids, events, capped },
    });
  });
  const now = new Date();
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return {
    filename: `tollgate-sessions-${stamp}.${EXTENSIONS[options.format]}`,
    contentType: CONTENT_TYPES[options.format],
    sessions: ids.length,
    events,
    capped,
    body: setBody(db, { ...options, filters, ids, capped, now }),
  };
}

async function* setBody(
  db: Db,
  options: ExportOptions & { filters: SessionFilters; ids: string[]; capped: boolean; now: Date },
): AsyncGenerator<string> {
  const cap = options.capped ? `capped at ${MAX_EXPORT_SESSIONS}: more sessions matched (narrow the filters)` : undefined;
  if (options.format === "jsonl") {
    const header = {
      exportedAt: options.now.toISOString(),
      exportedBy: options.actor.email,
      filters: options.filters,
      sessions: options.ids.length,
      capped: options.capped,
      limit: MAX_EXPORT_SESSIONS,
    };
    yield `${JSON.stringify({ export: header })}\n`;
  } else {
    const filters = Object.entries(options.filters).map(([name, value]) => `${name}=${String(value)}`);
    yield [
      `Tollgate sessions export: ${options.ids.length} session${options.ids.length === 1 ? "" : "s"}, newest first${cap ? `; ${cap}` : ""}`,
      `Filters: ${filters.length ? filters.join(", ") : "none"}`,
      `Exported ${utc(options.now)} by ${options.actor.email}. All times are UTC.`,
      "",
      "",
    ].join("\n");
  }
  for (const [index, id] of options.ids.entries()) {
    // Visible when the search ran; one deleted since is left out.
    const session = await db.session.findUnique({ where: { id }, include: sessionInclude });
    if (!session) continue;
    if (options.format === "jsonl") {
      const verification = await verifyRow(db, session, options.vaultKey);
      const line = {
        ...presentSession(session),
        purgedAt: session.purgedAt?.toISOString() ?? null,
        ...(session.purgedAt ? { summary: session.summary } : {}),
        verification,
      };
      yield `${JSON.stringify({ session: line })}\n`;
      yield* sessionEventLines(db, session.id, { sessionId: session.id });
    } else {
      if (index > 0) yield `\n${"=".repeat(78)}\n\n`;
      yield* sessionTranscript(db, session, options.vaultKey, options.now);
    }
  }
}

interface ExportedEvent {
  seq: number;
  at: Date;
  direction: string;
  kind: string;
  rpcId: string | null;
  method: string | null;
  tool: string | null;
  payload: unknown;
  raw: string | null;
  decision: string | null;
  masked: unknown;
  replyToSeq: number | null;
  latencyMs: number | null;
  hash: string;
}

/** A session's events in seq order, one page per query. */
async function* eventPages(db: Db, sessionId: string): AsyncGenerator<ExportedEvent[]> {
  let after = 0;
  for (;;) {
    const rows = await db.sessionEvent.findMany({
      where: { sessionId, seq: { gt: after } },
      orderBy: { seq: "asc" },
      take: EXPORT_PAGE,
      select: {
        seq: true,
        at: true,
        direction: true,
        kind: true,
        rpcId: true,
        method: true,
        tool: true,
        payload: true,
        raw: true,
        decision: true,
        masked: true,
        replyToSeq: true,
        latencyMs: true,
        hash: true,
      },
    });
    if (rows.length > 0) yield rows;
    if (rows.length < EXPORT_PAGE) return;
    after = rows[rows.length - 1]!.seq;
  }
}

/**
 * The message as JSON text: `raw`, the text recorded as sent (its key order kept, even for keys
 * that JSON.parse would move), on one line; the jsonb copy when there is no usable raw text.
 */
function messageText(row: ExportedEvent): string {
  if (row.raw !== null) {
    try {
      JSON.parse(row.raw);
      // Outside strings JSON may hold line breaks only as whitespace: a space is the same JSON.
      return row.raw.replace(/[\r\n]+/g, " ");
    } catch {
      // not JSON: fall back to the jsonb copy below
    }
  }
  return JSON.stringify(row.payload ?? null);
}

/** One JSONL line: the event's fields, then `message` spliced in as recorded. */
export function eventLine(row: ExportedEvent, extra: { sessionId?: string } = {}): string {
  const fields = {
    ...extra,
    seq: row.seq,
    at: row.at.toISOString(),
    direction: row.direction,
    kind: row.kind,
    method: row.method,
    tool: row.tool,
    rpcId: row.rpcId,
    decision: row.decision,
    masked: row.masked ?? null,
    replyToSeq: row.replyToSeq,
    latencyMs: row.latencyMs,
    hash: row.hash,
  };
  return `${JSON.stringify(fields).slice(0, -1)},"message":${messageText(row)}}\n`;
}

async function* sessionEventLines(db: Db, sessionId: string, extra: { sessionId?: string }): AsyncGenerator<string> {
  for await (const rows of eventPages(db, sessionId)) yield rows.map((row) => eventLine(row, extra)).join("");
}

async function verifyRow(db: Db, session: SessionRow, vaultKey: Uint8Array | null): Promise<SessionVerification> {
  if (session.purgedAt) return verifyPurgedSummary({ session, vaultKey });
  // `open`: a stored head of an open session is a checkpoint that newer events may follow.
  const chain = { sessionId: session.id, lastSeq: session.lastSeq, lastHash: session.lastHash, open: session.endedAt === null };
  return verifySessionChain(db, chain);
}

// ---- transcript ------------------------------------------------------------------------------

/** 2026-11-22T12:03:07.123Z → 2026-11-22 12:03:07.123 UTC */
function utc(date: Date): string {
  return `${date.toISOString().replace("T", " ").replace("Z", "")} UTC`;
}

const ARROWS: Record<string, string> = {
  CLIENT_TO_UPSTREAM: "→",
  UPSTREAM_TO_CLIENT: "←",
  GATEWAY_TO_CLIENT: "← gateway:",
  GATEWAY_TO_UPSTREAM: "→ gateway:",
};

const DECISIONS: Record<string, string> = {
  deny: "DENIED by policy",
  "require-approval": "HELD for approval",
  approved: "held call APPROVED",
  "approved-for-session": "held call APPROVED for the session",
  denied: "held call DENIED",
  expired: "held call EXPIRED undecided",
  cancelled: "held call CANCELLED",
  abandoned: "held call ABANDONED (gateway restarted)",
};

/** Longest JSON shown on a transcript line; the JSONL export has everything. */
export const TRANSCRIPT_MAX_JSON = 2000;

function compact(value: unknown): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value) ?? "";
  return text.length > TRANSCRIPT_MAX_JSON
    ? `${text.slice(0, TRANSCRIPT_MAX_JSON)}… (${text.length - TRANSCRIPT_MAX_JSON} more characters)`
    : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function messageOf(row: ExportedEvent): unknown {
  if (row.raw !== null) {
    try {
      return JSON.parse(row.raw);
    } catch {
      // the jsonb copy
    }
  }
  return row.payload;
}

/** What one event says, after the time and seq: "→ tools/call echo {…}", "← result (38.2 ms, reply to #3) {…}". */
export function transcriptText(row: ExportedEvent): string {
  const message = messageOf(row);
  const body = isRecord(message) ? message : {};
  const params = isRecord(body.params) ? body.params : undefined;
  const timing = [
    row.latencyMs !== null ? `${row.latencyMs.toFixed(1)} ms` : "",
    row.replyToSeq !== null ? `reply to #${row.replyToSeq}` : "",
  ].filter(Boolean);
  const paren = timing.length ? ` (${timing.join(", ")})` : "";
  let text: string;
  switch (row.kind) {
    case "request": {
      const named = row.method === "tools/call" || row.method === "prompts/get";
      const shown = named ? params?.arguments : row.method === "resources/read" ? undefined : params;
      text = [row.method, row.tool, compact(shown)].filter(Boolean).join(" ");
      if (row.rpcId !== null) text += `  [id ${row.rpcId}]`;
      break;
    }
    case "notification":
      text = [row.method, compact(params)].filter(Boolean).join(" ");
      break;
    case "response":
      text = `result${paren} ${compact(body.result)}`;
      break;
    case "error": {
      const error = isRecord(body.error) ? body.error : {};
      const code = typeof error.code === "number" ? ` ${error.code}` : "";
      const detail = typeof error.message === "string" ? ` ${error.message}` : ` ${compact(body.error)}`;
      text = `error${paren}${code}${detail}${error.data !== undefined ? ` ${compact(error.data)}` : ""}`;
      break;
    }
    default:
      text = `message ${compact(message)}`;
  }
  const notes: string[] = [];
  if (row.decision && row.decision !== "allow") notes.push(DECISIONS[row.decision] ?? `decision: ${row.decision}`);
  if (isRecord(row.masked)) {
    const masked = Object.entries(row.masked).map(([kind, count]) => `${String(count)} ${kind}`);
    if (masked.length) notes.push(`masked ${masked.join(", ")}`);
  }
  return `${ARROWS[row.direction] ?? row.direction} ${text}${notes.length ? `  [${notes.join("; ")}]` : ""}`;
}

function describeVerification(result: SessionVerification): string {
  if (result.purged) {
    const summary = result.purged.summary;
    if (!result.ok && result.firstBad?.problem === "summary-invalid")
      return `NOT OK: purged, and ${result.purged.reason ?? "its summary does not check out"}`;
    const at = summary?.verified.ok
      ? "verified when purged"
      : `broken when purged (#${summary?.verified.firstBad?.seq} ${summary?.verified.firstBad?.problem})`;
    return `${result.ok ? "ok" : "NOT OK"}: events purged; signed summary valid; chain ${at}`;
  }
  if (result.firstBad) return `NOT OK: event #${result.firstBad.seq} ${result.firstBad.problem} (${result.events} events read)`;
  return `ok: ${result.events} events match their hashes${result.headChecked ? " and the stored chain head" : " (session open: no chain head stored yet)"}`;
}

function clientText(session: SessionRow): string {
  const info = isRecord(session.clientInfo) ? session.clientInfo : {};
  const name = [info.name, info.version].filter((part) => typeof part === "string" && part).join(" ");
  return [name || "unknown client", session.transport, session.protocolVersion ? `MCP ${session.protocolVersion}` : ""]
    .filter(Boolean)
    .join(" · ");
}

function countsText(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length ? entries.map(([name, count]) => `${name} ×${count}`).join(", ") : "none";
}

async function* sessionTranscript(db: Db, session: SessionRow, vaultKey: Uint8Array | null, now: Date): AsyncGenerator<string> {
  const verification = await verifyRow(db, session, vaultKey);
  const user = session.user.name ? `${session.user.email} (${session.user.name})` : session.user.email;
  const lines = [
    "Tollgate session transcript. All times are UTC.",
    `Session       ${session.id}`,
    `User          ${user}`,
    `Connection    ${session.connection.slug} (${session.connection.name})`,
    `Client        ${clientText(session)}`,
    `Started       ${utc(session.startedAt)}`,
    `Ended         ${session.endedAt ? utc(session.endedAt) : "still open"}`,
    `End reason    ${session.endReason ?? "-"}`,
    `Events        ${session._count.events}`,
    `Verification  ${describeVerification(verification)}`,
    `Exported      ${utc(now)}`,
  ];
  const summary = verification.purged?.summary;
  if (session.purgedAt) {
    lines.push(`Purged        ${utc(session.purgedAt)} by retention: the events are gone; their signed summary follows`);
    if (summary) {
      lines.push(
        `  events      ${summary.events}${summary.firstSeq !== null ? ` (#${summary.firstSeq}–#${summary.lastSeq})` : ""}, ` +
          `${summary.firstAt ? `${utc(new Date(summary.firstAt))} to ${utc(new Date(summary.lastAt ?? summary.firstAt))}` : "none"}`,
        `  tools       ${countsText(summary.tools)}`,
        `  decisions   ${countsText(summary.decisions)}`,
        `  masked      ${countsText(summary.masked)}`,
        `  chain head  ${summary.lastHash}`,
      );
    }
  }
  yield `${lines.join("\n")}\n\n`;
  let day = session.startedAt.toISOString().slice(0, 10);
  for await (const rows of eventPages(db, session.id)) {
    const out: string[] = [];
    for (const row of rows) {
      const iso = row.at.toISOString();
      if (iso.slice(0, 10) !== day) {
        day = iso.slice(0, 10);
        out.push(`-- ${day} (UTC) --`);
      }
      out.push(`${iso.slice(11, 23)} UTC  #${row.seq}  ${transcriptText(row)}`);
    }
    yield `${out.join("\n")}\n`;
  }
}

/** The body as a web ReadableStream for a Response: pulls one chunk at a time (backpressure), stops reading when cancelled. */
export function exportStream(body: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await iterator.return?.(undefined);
    },
  });
}

/**
 * What HEAD answers for an export named `base` (no extension): the headers only, with no session
 * read and no audit event written — nothing was exported.
 */
export function exportHeadHeaders(format: ExportFormat, base: string): Record<string, string> {
  return {
    "content-type": CONTENT_TYPES[format],
    "content-disposition": `attachment; filename="${base}.${EXTENSIONS[format]}"`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  };
}

/** The response headers of an export. */
export function exportHeaders(result: SessionExport): Record<string, string> {
  return {
    "content-type": result.contentType,
    "content-disposition": `attachment; filename="${result.filename}"`,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-tollgate-export-sessions": String(result.sessions),
    "x-tollgate-export-events": String(result.events),
    "x-tollgate-export-capped": String(result.capped),
    "x-tollgate-export-limit": String(MAX_EXPORT_SESSIONS),
  };
}
