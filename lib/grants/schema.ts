import { z } from "zod";

export const revokeGrantSchema = z.object({
  reason: z.string().trim().max(2000).optional(),
});
export type RevokeGrantInput = z.infer<typeof revokeGrantSchema>;
