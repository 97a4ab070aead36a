// Small, dependency-free formatters shared by the pages.

import type { TransportName } from "@/lib/connections/transport";

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** "2026-11-22 14:03" in the viewer's local time. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** "14:03:07.123" in the viewer's local time. */
export function formatClock(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** Remaining time as mm:ss (minutes may exceed 59 for long grants); "00:00" once past. */
export function formatRemaining(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/** "just now", "4 min ago", "2 h ago", "3 d ago". */
export function formatAge(iso: string, now: number): string {
  const seconds = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** "15 min", "2 h", "1 h 30 min". */
export function formatMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

const TRANSPORT_LABELS: Record<TransportName, string> = {
  "streamable-http": "Streamable HTTP",
  sse: "HTTP+SSE (legacy)",
  websocket: "WebSocket",
  stdio: "stdio",
};

/** A connection's transport as the API names it ("streamable-http"), for people ("Streamable HTTP"). */
export function transportLabel(transport: TransportName): string {
  return TRANSPORT_LABELS[transport];
}

export function prettyJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
