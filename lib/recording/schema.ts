import { z } from "zod";

/** SessionEvent.seq is a Postgres integer. */
export const MAX_SEQ = 2_147_483_647;
const afterError = `must be a non-negative integer (a seq, at most ${MAX_SEQ})`;

/** Query of GET /api/v1/sessions/{id}/events. */
export const listSessionEventsQuerySchema = z.object({
  after: z
    .string()
    .regex(/^\d{1,10}$/, afterError)
    .transform(Number)
    .refine((seq) => seq <= MAX_SEQ, afterError)
    .optional()
    .meta({ example: "42" })
    .describe(`Only events with a seq greater than this (for paging and following a live session): 0 (default) to ${MAX_SEQ}.`),
});
export type ListSessionEventsQuery = z.output<typeof listSessionEventsQuerySchema>;
