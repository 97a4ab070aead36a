import { z } from "zod";
import { timestamp } from "../validate.ts";

// What the API returns about a connection (presentConnection in ./present-connection.ts is typed by it).

export const connectionViewSchema = z
  .object({
    id: z.string(),
    slug: z.string().meta({ example: "github-prod" }),
    name: z.string(),
    description: z.string().nullable(),
    transport: z.enum(["streamable-http", "stdio"]),
    url: z.string().nullable().describe("Upstream URL (streamable-http connections)."),
    command: z.string().nullable().describe("Command the gateway spawns (stdio connections)."),
    args: z.array(z.string()),
    maxMinutes: z.number().int().describe("Longest grant that may be requested, in minutes."),
    hasCredential: z.boolean().describe("Whether an upstream credential is stored. The credential itself is write-only."),
    createdAt: timestamp(),
  })
  .meta({ id: "Connection", description: "An MCP server in the catalog." });
export type ConnectionView = z.output<typeof connectionViewSchema>;
