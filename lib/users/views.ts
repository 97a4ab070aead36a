import { z } from "zod";
import { Role } from "../db/generated/enums.ts";
import { timestamp } from "../validate.ts";

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

export const serviceAccountViewSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable().describe("From the token (name, preferred_username, client_id, azp, appid or cid)."),
    email: z
      .string()
      .meta({ example: "ci-bot@idp.example.com.service.invalid" })
      .describe("Synthetic and undeliverable: how recordings and the audit log name it."),
    issuer: z.string().nullable().describe("The IdP (`iss`) whose tokens identify it."),
    subject: z.string().describe("The tokens' `sub`."),
    groups: z.array(z.string()).describe("From the token's groups claim (TOLLGATE_JWT_GROUPS_CLAIM) at its last use."),
    roles: z.array(z.enum(Role)).describe("Mapped from its groups by ROLE_MAPPINGS; at least REQUESTER."),
    createdAt: timestamp().describe("Its first token."),
    lastSeenAt: timestamp()
      .nullable()
      .describe("Last time it presented a token to the API or the gateway (updated at most once a minute)."),
    activeGrants: z.number().int().describe("Grants in force now."),
  })
  .meta({ id: "ServiceAccount", description: "An automation identity, known from the IdP-issued JWTs it presented." });
export type ServiceAccountView = z.output<typeof serviceAccountViewSchema>;
