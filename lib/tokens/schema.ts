import { z } from "zod";

export const createApiTokenSchema = z.object({
  name: z
    .string({ error: "is required (a name to recognise the token by)" })
    .trim()
    .min(1, "is required (a name to recognise the token by)")
    .max(80, "must be at most 80 characters"),
  expiresInDays: z
    .number({ error: "must be a number of days" })
    .int("must be a whole number of days")
    .min(1, "must be at least 1")
    .max(365, "must be at most 365")
    .optional()
    .describe("Days until the token stops working; omit for a token that does not expire."),
});
export type CreateApiTokenInput = z.infer<typeof createApiTokenSchema>;
