import type { SessionEventView } from "@/lib/recording/sessions";

// What the player derives from a session's events: marks for the timeline, request/response
// pairs, summaries and the text a filter searches. Pure functions, no React.

/** Notable events, strongest first (a timeline bucket shows its strongest). */
export const MARK_KINDS = ["deny", "error", "held", "masked", "call"] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

export const MARK_LABELS: Record<MarkKind, { one: string; many: string; filter: string }> = {
  deny: { one: "denied", many: "denied", filter: "Denials" },
  error: { one: "error", many: "errors", filter: "Errors" },
  held: { one: "held call", many: "held calls", filter: "Held calls" },
  masked: { one: "masked", many: "masked", filter: "Masked values" },
  call: { one: "call", many: "calls", filter: "Calls" },
};

/** Tailwind background colour of each mark. */
export const MARK_COLORS: Record<MarkKind, string> = {
  deny: "bg-red-600",
  error: "bg-orange-500",
  held: "bg-amber-400",
  masked: "bg-violet-500",
  call: "bg-indigo-300",
};

const DENIED = new Set(["deny", "denied"]);
/** Decisions of a held call: the hold itself and every way it can end. */
const HELD = new Set([
  "require-approval",
  "approved",
  "approved-for-session",
  "denied",
  "expired",
  "cancelled",
  "abandoned",
  "binding-mismatch",
]);

export function maskedTotal(event: SessionEventView): number {
  if (!event.masked) return 0;
  let total = 0;
  for (const count of Object.values(event.masked)) total += count;
  return total;
}

export function marksOf(event: SessionEventView): MarkKind[] {
  const marks: MarkKind[] = [];
  if (event.decision && DENIED.has(event.decision)) marks.push("deny");
  if (event.kind === "error") marks.push("error");
  if (event.decision && HELD.has(event.decision)) marks.push("held");
  if (maskedTotal(event) > 0) marks.push("masked");
  if (event.kind === "request" && event.direction === "CLIENT_TO_UPSTREAM") marks.push("call");
  return marks;
}

export function strongestMark(event: SessionEventView): MarkKind | null {
  return marksOf(event)[0] ?? null;
}

/** How a decision reads in the player. */
export function decisionLabel(decision: string): string {
  switch (decision) {
    case "allow":
      return "allowed";
    case "deny":
      return "denied by policy";
    case "require-approval":
      return "held for approval";
    case "approved":
      return "held · approved";
    case "approved-for-session":
      return "approved for the session";
    case "denied":
      return "held · denied";
    case "expired":
      return "held · expired";
    case "cancelled":
      return "held · cancelled";
    case "abandoned":
      return "held · abandoned";
    default:
      return decision;
  }
}

export function isResponse(event: SessionEventView): boolean {
  return event.kind === "response" || event.kind === "error";
}

export function isRequest(event: SessionEventView): boolean {
  return event.kind === "request";
}

export interface Pairs {
  /** Response seq → request seq. */
  requestOf: Map<number, number>;
  /** Request seq → response seq. */
  responseOf: Map<number, number>;
  /** A held request's seq → the event that recorded how the hold ended (approved, denied, expired, …). */
  outcomeOf: Map<number, number>;
}

/**
 * Pairs responses with their requests: by `replyToSeq` as the gateway records it, else (older
 * recordings) by JSON-RPC id in the other direction — the latest open request with that id.
 */
export function pairEvents(events: SessionEventView[]): Pairs {
  const requestOf = new Map<number, number>();
  const responseOf = new Map<number, number>();
  const outcomeOf = new Map<number, number>();
  const open = new Map<string, number>();
  const held = new Map<string, number>();
  const side = (direction: string) => (direction === "CLIENT_TO_UPSTREAM" || direction === "GATEWAY_TO_UPSTREAM" ? "up" : "down");
  for (const event of events) {
    if (event.rpcId !== null && event.decision && HELD.has(event.decision)) {
      const hold = held.get(event.rpcId);
      if (event.decision === "require-approval" && event.direction === "CLIENT_TO_UPSTREAM") held.set(event.rpcId, event.seq);
      else if (hold !== undefined) {
        outcomeOf.set(hold, event.seq);
        held.delete(event.rpcId);
      }
    }
    if (isRequest(event) && event.rpcId !== null) {
      open.set(`${side(event.direction)}:${event.rpcId}`, event.seq);
    } else if (isResponse(event)) {
      let request = event.replyToSeq;
      if (request === null && event.rpcId !== null) {
        const key = `${side(event.direction) === "up" ? "down" : "up"}:${event.rpcId}`;
        request = open.get(key) ?? null;
        open.delete(key);
      }
      if (request !== null && !responseOf.has(request)) {
        requestOf.set(event.seq, request);
        responseOf.set(request, event.seq);
      }
    }
  }
  return { requestOf, responseOf, outcomeOf };
}

/** "tools/call · echo", or the id for a response. */
export function eventSummary(event: SessionEventView): string {
  if (event.tool && event.method) return `${event.method} · ${event.tool}`;
  return event.method ?? event.tool ?? (event.rpcId !== null ? `id ${event.rpcId}` : "");
}

/** Milliseconds as "38.2 ms" or "2.41 s". */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** The latency of a response: recorded, or else the time between the two events. */
export function latencyOf(response: SessionEventView, request: SessionEventView | undefined): number | null {
  if (response.latencyMs !== null) return response.latencyMs;
  if (!request) return null;
  return Math.max(0, Date.parse(response.at) - Date.parse(request.at));
}

const searchText = new WeakMap<SessionEventView, string>();

/** Everything a free-text filter looks at, lower-cased: seq, method, tool, kind, decision, id, masked kinds and the payload. */
export function searchableText(event: SessionEventView): string {
  let text = searchText.get(event);
  if (text === undefined) {
    text = [
      `#${event.seq}`,
      event.method,
      event.tool,
      event.kind,
      event.decision,
      event.rpcId,
      event.masked ? Object.keys(event.masked).join(" ") : null,
      JSON.stringify(event.payload),
    ]
      .filter(Boolean)
      .join(" ")
      .toLowerCase();
    searchText.set(event, text);
  }
  return text;
}

export interface EventFilter {
  text: string;
  method: string;
  mark: MarkKind | "";
}

export function matchesFilter(event: SessionEventView, filter: EventFilter, methodOf: (event: SessionEventView) => string | null): boolean {
  if (filter.method && methodOf(event) !== filter.method) return false;
  if (filter.mark && !marksOf(event).includes(filter.mark)) return false;
  const text = filter.text.trim().toLowerCase();
  if (text && !searchableText(event).includes(text)) return false;
  return true;
}
