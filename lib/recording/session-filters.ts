import { z } from "zod";
import { sessionViewSchema } from "./views.ts";

// The sessions list's filters: GET /api/v1/sessions parses its query with this schema, and the
// filtered export (GET /api/v1/sessions/export) takes the same one. Import-safe in the browser.

export const SESSION_STATUSES = ["live", "ended", "purged"] as const;

/** ISO 8601 has a year 0000; Postgres does not (its input refuses it), so it is a 400, not a database error. */
const YEAR_ZERO = "year 0000 is not a date Postgres knows; use 0001 or later";
const instant = () => z.iso.datetime({ offset: true }).refine((value) => !value.startsWith("0000"), YEAR_ZERO);

export const sessionFiltersSchema = z.object({
  user: z.string().trim().min(1).max(320).optional().describe("The session owner's email (exact, case-insensitive) or user id."),
  connection: z.string().trim().min(1).max(100).optional().describe("Connection slug."),
  tool: z.string().trim().min(1).max(200).optional().describe("Sessions that called this tool (or read this resource / got this prompt)."),
  decision: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .optional()
    .describe("Sessions with at least one event carrying this policy decision, e.g. deny, require-approval, approved, denied."),
  status: z
    .enum(SESSION_STATUSES)
    .optional()
    .describe("live: not ended yet; ended: ended, its recording kept; purged: ended and its events deleted by retention."),
  from: instant().optional().describe("Sessions started at or after this instant."),
  to: instant().optional().describe("Sessions started before this instant."),
  q: z
    .string()
    .trim()
    .min(3)
    .max(200)
    // The trigram index finds only text with 3 letters or digits in a row; "---" or "{}" would
    // read every recorded event, so they are refused instead.
    .regex(/[\p{L}\p{N}]{3}/u, "must contain at least 3 letters or digits in a row (punctuation alone cannot be searched)")
    .optional()
    .describe("Free text found in a recorded payload (at least 3 characters, 3 letters or digits in a row among them; case-insensitive)."),
});
export type SessionFilters = z.output<typeof sessionFiltersSchema>;

export const SESSION_PAGE_DEFAULT = 50;
export const SESSION_PAGE_MAX = 200;

/** A page's position: the last row's startedAt (ISO, milliseconds) and id, joined by "_". */
const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)_([A-Za-z0-9-]{1,64})$/;

export interface SessionCursor {
  startedAt: Date;
  id: string;
}

export function encodeSessionCursor(cursor: SessionCursor): string {
  return `${cursor.startedAt.toISOString()}_${cursor.id}`;
}

/** The cursor a `nextCursor` spelled, or null when it is not one. */
export function decodeSessionCursor(value: string): SessionCursor | null {
  const match = CURSOR.exec(value);
  if (!match) return null;
  const startedAt = new Date(match[1]!);
  return Number.isNaN(startedAt.getTime()) || match[1]!.startsWith("0000") ? null : { startedAt, id: match[2]! };
}

/** Paging of GET /api/v1/sessions (keyset: newest first, by startedAt then id). */
export const sessionPageSchema = z.object({
  cursor: z
    .string()
    .refine((value) => decodeSessionCursor(value) !== null, "must be the nextCursor of the previous page")
    .optional()
    .meta({ example: "2026-11-22T10:00:00.000Z_cmabc123" })
    .describe("Only sessions after this position: pass the previous page's `nextCursor`."),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`)
    .transform(Number)
    .refine((n) => n >= 1 && n <= SESSION_PAGE_MAX, `must be a whole number from 1 to ${SESSION_PAGE_MAX}`)
    .optional()
    .meta({ example: String(SESSION_PAGE_DEFAULT) })
    .describe(`Page size, from 1 to ${SESSION_PAGE_MAX}; default ${SESSION_PAGE_DEFAULT}.`),
});
export type SessionPage = z.output<typeof sessionPageSchema>;

/** Query of GET /api/v1/sessions: the filters (combined with AND) and the page. */
export const listSessionsQuerySchema = sessionFiltersSchema.extend(sessionPageSchema.shape);
export type ListSessionsQuery = z.output<typeof listSessionsQuerySchema>;

export const sessionListItemSchema = sessionViewSchema
  .extend({
    purgedAt: z.string().meta({ format: "date-time" }).nullable().describe("When retention deleted the session's events; null if kept."),
    matches: z.number().int().optional().describe("With ?q=: how many of the session's events contain the text."),
  })
  .meta({ id: "SessionListItem", description: "A session as the sessions list shows it." });
export type SessionListItem = z.output<typeof sessionListItemSchema>;

export const sessionListPageSchema = z
  .object({
    sessions: z.array(sessionListItemSchema).describe("Newest first (by startedAt, then id)."),
    nextCursor: z.string().nullable().describe("Pass as `?cursor=` for the next, older, page; null on the last page."),
  })
  .meta({ id: "SessionPage" });
export type SessionListPage = z.output<typeof sessionListPageSchema>;
