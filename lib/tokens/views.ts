import { z } from "zod";
import { timestamp } from "../validate.ts";

// What the API returns about personal API tokens and gateway tokens. The presenters are typed by
// these schemas; a token itself appears only in the "created"/"minted" shapes, once.

export const apiTokenViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The token's first characters, to recognise it later. The token itself is never returned again."),
    createdAt: timestamp(),
    lastUsedAt: timestamp().nullable().describe("Last time the token authenticated a request (updated at most once a minute)."),
    expiresAt: timestamp().nullable().describe("When the token stops working; null if it does not expire."),
    revokedAt: timestamp().nullable(),
  })
  .meta({ id: "ApiToken" });
export type ApiTokenView = z.output<typeof apiTokenViewSchema>;

export const createdApiTokenSchema = z
  .object({
    id: z.string(),
    token: z.string().meta({ example: "tg_…" }).describe("Personal API token (tg_…). Shown once: it is stored only as a hash."),
    prefix: z.string().describe("The token's first characters, to recognise it later."),
    name: z.string(),
    expiresAt: timestamp().nullable().describe("When the token stops working; null if it does not expire."),
  })
  .meta({ id: "CreatedApiToken" });
export type CreatedApiToken = z.output<typeof createdApiTokenSchema>;

export const gatewayTokenViewSchema = z
  .object({
    id: z.string(),
    grantId: z.string(),
    prefix: z.string().describe("The token's first characters. The token itself is never returned again."),
    createdAt: timestamp(),
    lastUsedAt: timestamp().nullable().describe("Last time the token authenticated a gateway request (updated at most once a minute)."),
    revokedAt: timestamp().nullable(),
  })
  .meta({ id: "GatewayTokenInfo" });
export type GatewayTokenView = z.output<typeof gatewayTokenViewSchema>;

export const mintedGatewayTokenSchema = z
  .object({
    token: z
      .string()
      .meta({ example: "tgg_…" })
      .describe("Gateway access token (tgg_…), bound to this grant. Shown once: it is stored only as a hash."),
    prefix: z.string().describe("The token's first characters, to recognise it later."),
    grantId: z.string(),
    connection: z.string().describe("Slug of the connection the grant is for."),
    expiresAt: timestamp().describe("When the grant, and with it the token, expires."),
  })
  .meta({ id: "GatewayToken" });
export type MintedGatewayToken = z.output<typeof mintedGatewayTokenSchema>;
