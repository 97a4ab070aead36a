import { z } from "zod";

export const createAccessRequestSchema = z.object({
  connection: z.string({ error: "is required (the connection slug)" }).min(1, "is required (the connection slug)"),
  minutes: z.number({ error: "must be a number of minutes" }).int("must be a whole number of minutes").min(1, "must be at least 1"),
  reason: z.string({ error: "is required" }).trim().min(3, "must say why you need access (at least 3 characters)").max(2000),
});

export const decideAccessRequestSchema = z.object({
  comment: z.string().trim().max(2000).optional(),
});
