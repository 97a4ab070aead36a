"use client";

import { type ExportFormat, MAX_EXPORT_SESSIONS } from "@/lib/recording/export-schema";
import type { SessionFilters } from "@/lib/recording/session-filters";
import { buttonClass, cx } from "./ui";

// "Export" for the session player (one session) and the sessions list (the filtered set): plain
// links to the export routes, which answer with an attachment (the browser's download, the portal
// cookie as credentials). Every export is an audit event.

const FORMATS: Array<{ format: ExportFormat; label: string; hint: string }> = [
  { format: "jsonl", label: "JSONL", hint: "One JSON object per event, each message exactly as recorded" },
  { format: "transcript", label: "Transcript", hint: "Readable text, one line per event, times in UTC" },
];

/** The export route for one session, or for the sessions matching `filters`. */
export function exportHref(options: { sessionId?: string; filters?: SessionFilters; format: ExportFormat }): string {
  if (options.sessionId) return `/api/v1/sessions/${encodeURIComponent(options.sessionId)}/export?format=${options.format}`;
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(options.filters ?? {})) {
    if (value !== undefined && value !== null && String(value) !== "") query.set(name, String(value));
  }
  query.set("format", options.format);
  return `/api/v1/sessions/export?${query.toString()}`;
}

export function ExportMenu({ sessionId, filters, className }: { sessionId?: string; filters?: SessionFilters; className?: string }) {
  const what = sessionId ? "this session" : `the sessions matching the filters (at most ${MAX_EXPORT_SESSIONS})`;
  return (
    <details className={cx("relative inline-block", className)} data-testid="export-menu">
      <summary className={cx(buttonClass("secondary", "sm"), "cursor-pointer list-none [&::-webkit-details-marker]:hidden")}>
        Export
        <span aria-hidden="true">▾</span>
      </summary>
      <div className="absolute right-0 z-20 mt-1 w-64 max-w-[calc(100vw-2rem)] rounded-md bg-white p-1 shadow-lg ring-1 ring-gray-200">
        <p className="px-2 py-1 text-xs text-gray-500">Download {what}. Exports are recorded in the audit log.</p>
        {FORMATS.map(({ format, label, hint }) => (
          <a
            key={format}
            href={exportHref({ sessionId, filters, format })}
            download
            className="block rounded px-2 py-1.5 text-sm text-gray-800 hover:bg-gray-100"
            data-testid={`export-${format}`}
          >
            <span className="font-medium">{label}</span>
            <span className="block text-xs text-gray-500">{hint}</span>
          </a>
        ))}
      </div>
    </details>
  );
}
