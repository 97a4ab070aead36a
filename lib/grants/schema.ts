import { z } from "zod";
import { MAX_REASON_LENGTH } from "../access/schema.ts";

export const revokeGrantSchema = z.object({
  reason: z
    .string({ error: "must be text" })
    .trim()
    .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH.toLocaleString("en-US")} characters`)
    .optional(),
});
export type RevokeGrantInput = z.infer<typeof revokeGrantSchema>;
