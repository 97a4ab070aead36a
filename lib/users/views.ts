import { z } from "zod";
import { Role } from "../db/generated/enums.ts";

// What the API returns about people. The presenters are typed by these schemas, and the OpenAPI
// document (lib/api) is generated from them.

export const userRefSchema = z
  .object({
    id: z.string(),
    email: z.string().meta({ example: "alice@example.com" }),
    name: z.string().nullable(),
  })
  .meta({ id: "UserRef", description: "A person, as other objects refer to them." });
export type UserRefView = z.output<typeof userRefSchema>;

export const userViewSchema = z
  .object({
    id: z.string(),
    email: z.string().meta({ example: "alice@example.com" }),
    name: z.string().nullable(),
    roles: z.array(z.enum(Role)).describe("The caller's roles, from the IdP groups mapped by ROLE_MAPPINGS."),
  })
  .meta({ id: "User" });
export type UserView = z.output<typeof userViewSchema>;

export const meViewSchema = z
  .object({
    user: userViewSchema,
    gatewayUrl: z
      .string()
      .meta({ format: "uri", example: "https://gateway.example.com" })
      .describe("Base URL of the gateway: MCP clients connect to <gatewayUrl>/mcp/<slug>."),
  })
  .meta({ id: "Me" });
export type MeView = z.output<typeof meViewSchema>;
