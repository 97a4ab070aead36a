import { z } from "zod";
import { timestamp } from "../validate.ts";
import { TRANSPORT_NAME_LIST } from "./transport.ts";

// What the API returns about a connection (presentConnection in ./present-connection.ts is typed by it).

/** Where the upstream is: admins only (it can name internal hosts, paths and arguments). */
const upstream = {
  url: z
    .string()
    .nullable()
    .describe(
      "Upstream URL (streamable-http, sse and websocket connections; ws(s):// for websocket). Admins only: absent for everyone else.",
    ),
  command: z.string().nullable().describe("Command the gateway spawns (stdio connections). Admins only: absent for everyone else."),
  args: z.array(z.string()).describe("The command's arguments (stdio connections). Admins only: absent for everyone else."),
};

export const connectionViewSchema = z
  .object({
    id: z.string(),
    slug: z.string().meta({ example: "github-prod" }),
    name: z.string(),
    description: z.string().nullable(),
    transport: z.enum(TRANSPORT_NAME_LIST),
    url: upstream.url.optional(),
    command: upstream.command.optional(),
    args: upstream.args.optional(),
    maxMinutes: z.number().int().describe("Longest grant that may be requested, in minutes."),
    hasCredential: z.boolean().describe("Whether an upstream credential is stored. The credential itself is write-only."),
    createdAt: timestamp(),
  })
  .meta({
    id: "Connection",
    description: "An MCP server in the catalog. `url`, `command` and `args` are shown to admins (connections:write) only.",
  });
export type ConnectionView = z.output<typeof connectionViewSchema>;

/** A connection as admins see it: with where its upstream is. */
export type AdminConnectionView = ConnectionView & { url: string | null; command: string | null; args: string[] };
