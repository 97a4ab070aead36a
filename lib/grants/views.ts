import { z } from "zod";
import { userRefSchema } from "../users/views.ts";
import { timestamp } from "../validate.ts";

// What the API returns about grants (presentGrant in lib/access/present.ts is typed by it).

export const grantStatusSchema = z.enum(["ACTIVE", "EXPIRED", "REVOKED"]).meta({ id: "GrantStatus" });
export type GrantStatus = z.output<typeof grantStatusSchema>;

export const grantViewSchema = z
  .object({
    id: z.string(),
    requestId: z.string().describe("The access request the grant was approved from."),
    status: grantStatusSchema,
    startsAt: timestamp(),
    expiresAt: timestamp(),
    revokedAt: timestamp().nullable(),
    connection: z.object({ slug: z.string(), name: z.string() }).optional().describe("Present in grant lists and on revoke."),
    user: userRefSchema.optional().describe("The grant's holder; present in grant lists and on revoke."),
  })
  .meta({ id: "Grant", description: "Time-boxed access of one person to one connection." });
export type GrantView = z.output<typeof grantViewSchema>;
