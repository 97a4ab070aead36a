import { z } from "zod";
import { sessionFiltersSchema } from "./session-filters.ts";

// The export routes' queries. Import-safe in the browser: the portal's ExportMenu builds its links from these names.

export const EXPORT_FORMATS = ["jsonl", "transcript"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The most sessions one filtered export contains; the answer says when there were more. */
export const MAX_EXPORT_SESSIONS = 200;

const format = z
  .enum(EXPORT_FORMATS)
  .default("jsonl")
  .describe("`jsonl`: one JSON object per line (application/x-ndjson); `transcript`: readable text, times in UTC (text/plain).");

/** Query of GET /api/v1/sessions/{id}/export. */
export const exportSessionQuerySchema = z.object({ format });
export type ExportSessionQuery = z.output<typeof exportSessionQuerySchema>;

/** Query of GET /api/v1/sessions/export: the sessions list's filters, and the format. */
export const exportSessionsQuerySchema = sessionFiltersSchema.extend({ format });
export type ExportSessionsQuery = z.output<typeof exportSessionsQuerySchema>;
