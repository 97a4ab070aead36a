import { z } from "zod";

// The sessions list's filters: GET /api/v1/sessions parses its query with this schema, and the
// filtered export (GET /api/v1/sessions/export) takes the same one. Import-safe in the browser.

export const SESSION_STATUSES = ["live", "ended", "purged"] as const;

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
  status: z.enum(SESSION_STATUSES).optional(),
  from: z.iso.datetime({ offset: true }).optional().describe("Sessions started at or after this instant."),
  to: z.iso.datetime({ offset: true }).optional().describe("Sessions started before this instant."),
  q: z
    .string()
    .trim()
    .min(3)
    .max(200)
    .optional()
    .describe("Free text found in a recorded payload (at least 3 characters; case-insensitive)."),
});
export type SessionFilters = z.output<typeof sessionFiltersSchema>;
