import { formatClock, formatDateTime } from "./format";

/** The viewer's time zone, e.g. "Europe/Berlin" (the browser's; "UTC" during server rendering). */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/**
 * A moment in the viewer's local time, the zone named, the exact UTC instant on hover.
 * `clock` shows only the time of day with milliseconds (for events within one session).
 */
export function Time({ iso, clock = false, className }: { iso: string | null | undefined; clock?: boolean; className?: string }) {
  if (!iso) return <span className={className}>—</span>;
  const zone = viewerTimeZone();
  return (
    <time
      dateTime={iso}
      title={`${iso.replace("T", " ").replace("Z", " UTC")} · shown in ${zone}`}
      className={className}
      suppressHydrationWarning
    >
      {clock ? formatClock(iso) : formatDateTime(iso)}
    </time>
  );
}

/** "Times in Europe/Berlin": put once near a table or list of times. */
export function TimeZoneNote({ className }: { className?: string }) {
  return (
    <span className={className ?? "text-xs text-gray-500"} suppressHydrationWarning>
      Times in {viewerTimeZone()}
    </span>
  );
}
