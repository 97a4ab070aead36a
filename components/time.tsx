"use client";

import { useSyncExternalStore } from "react";
import { formatClock, formatDateTime } from "./format";

// Times are shown in the viewer's time zone. The server does not know it: server-rendered HTML
// (and the first render while hydrating) shows UTC, named as such; the browser then re-renders
// in its own zone (useSyncExternalStore's server snapshot, so hydration never mismatches).

/** The viewer's time zone, e.g. "Europe/Berlin" (the browser's; "UTC" during server rendering). */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

const noSubscription = () => () => undefined;

/** The viewer's zone in the browser; null on the server and while hydrating. */
export function useViewerTimeZone(): string | null {
  return useSyncExternalStore(noSubscription, viewerTimeZone, () => null);
}

/** "2026-11-22 13:03:07.123 UTC": the exact instant. */
export function formatUtc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 23).replace("T", " ")} UTC`;
}

/** The zone's short name at that moment in the viewer's locale: "CET", "EST", "GMT+1", "UTC". */
export function shortZoneName(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  try {
    return (
      new Intl.DateTimeFormat(undefined, { timeZoneName: "short" }).formatToParts(date).find((part) => part.type === "timeZoneName")
        ?.value ?? ""
    );
  } catch {
    return "";
  }
}

/** A tooltip for any moment shown on the page: the exact UTC instant and the zone it is shown in. */
export function timeTitle(iso: string, zone: string | null = viewerTimeZone()): string {
  return `${formatUtc(iso)} · shown in ${zone ?? "UTC"}`;
}

type TimeFormat = "datetime" | "precise" | "clock";

function formatIn(iso: string, format: TimeFormat, utc: boolean): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  if (utc) {
    const text = date.toISOString().replace("T", " ");
    return format === "clock" ? text.slice(11, 23) : format === "precise" ? text.slice(0, 23) : text.slice(0, 16);
  }
  if (format === "clock") return formatClock(iso);
  if (format === "precise") return `${formatDateTime(iso).slice(0, 10)} ${formatClock(iso)}`;
  return formatDateTime(iso);
}

/**
 * A moment in the viewer's local time, the zone named in the title with the exact UTC instant on
 * hover. `clock` shows only the time of day with milliseconds (for events within one session);
 * `precise` the date and the time with milliseconds; `zone` appends the zone's short name ("CET"),
 * for a time shown on its own rather than in a list under a `<TimeZoneNote/>`.
 */
export function Time({
  iso,
  clock = false,
  precise = false,
  zone = false,
  className,
}: {
  iso: string | null | undefined;
  clock?: boolean;
  precise?: boolean;
  zone?: boolean;
  className?: string;
}) {
  const viewer = useViewerTimeZone();
  if (!iso) return <span className={className}>—</span>;
  const text = formatIn(iso, clock ? "clock" : precise ? "precise" : "datetime", viewer === null);
  const zoneName = zone ? (viewer === null ? "UTC" : shortZoneName(iso)) : "";
  return (
    <time dateTime={iso} title={timeTitle(iso, viewer)} className={className}>
      {text}
      {zoneName ? <span className="text-[0.85em] text-gray-500">{` ${zoneName}`}</span> : null}
    </time>
  );
}

/** "Times in Europe/Berlin": put once near a table or list of times. */
export function TimeZoneNote({ className }: { className?: string }) {
  const zone = useViewerTimeZone();
  return (
    <span className={className ?? "text-xs text-gray-500"} data-testid="time-zone-note">
      Times in {zone ?? "UTC"}
    </span>
  );
}

/** "2026-11-22 14:03 CET (2026-11-22 13:03:07.123 UTC)": for tooltips of relative times and countdowns. */
export function describeTime(iso: string): string {
  return `${formatDateTime(iso)} ${shortZoneName(iso) || viewerTimeZone()} (${formatUtc(iso)})`;
}
