import { z } from "zod";
import { createAccessRequestSchema } from "../access/schema.ts";
import { unstorableText } from "../validate.ts";
import { redirectUriProblem } from "./redirect-uri.ts";

// Inputs of the OAuth endpoints, parsed with zod. Form-encoded bodies and query strings arrive as
// string records; registration and metadata documents are JSON. No string may hold a NUL (U+0000)
// or a lone surrogate: Postgres text and jsonb columns cannot store a NUL, jsonb not a lone
// surrogate, so they are refused here, naming the field, rather than failing as a database error.

/** Whether a string holds a NUL character. */
export function hasNul(value: string): boolean {
  return value.includes("\u0000");
}

/** The check of a string Postgres can store (see unstorableText). */
function storable(value: string, ctx: z.core.$RefinementCtx<string>): void {
  const problem = unstorableText(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}

/** A string without NUL characters or lone surrogates. */
function text(params?: Parameters<typeof z.string>[0]) {
  return z.string(params).superRefine(storable);
}

const redirectUri = z.string().superRefine((value, ctx) => {
  const problem = redirectUriProblem(value) ?? unstorableText(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** What a client may say about itself (RFC 7591 §2), in a registration or a client ID metadata document. */
export const clientMetadataSchema = z.object({
  redirect_uris: z.array(redirectUri, { error: "redirect_uris must be a list of URLs" }).min(1, "redirect_uris must not be empty").max(10),
  client_name: text().trim().min(1).max(200).optional(),
  client_uri: text().pipe(z.url().max(2000)).optional(),
  logo_uri: text().pipe(z.url().max(2000)).optional(),
  grant_types: z
    .array(z.string())
    .optional()
    .refine((types) => !types || types.every((type) => type === "authorization_code" || type === "refresh_token"), {
      message: "grant_types may only be authorization_code and refresh_token",
    }),
  response_types: z
    .array(z.string())
    .optional()
    .refine((types) => !types || types.every((type) => type === "code"), { message: 'response_types may only be "code"' }),
  token_endpoint_auth_method: text().max(100).optional(),
  scope: text().max(1000).optional(),
  software_id: text().max(200).optional(),
  software_version: text().max(100).optional(),
});
export type ClientMetadata = z.output<typeof clientMetadataSchema>;

/** The query of GET /oauth/authorize once client_id and redirect_uri are known to be good. */
export const authorizationRequestSchema = z.object({
  response_type: z.literal("code", { error: 'response_type must be "code" (the authorization code flow is the only one)' }),
  code_challenge: z
    .string({ error: "code_challenge is required (PKCE)" })
    .regex(/^[A-Za-z0-9\-_]{43}$/, "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)"),
  code_challenge_method: z.literal("S256", { error: "code_challenge_method must be S256 (plain is refused)" }),
  resource: text({ error: "resource is required (RFC 8707): the MCP connection URL" }).min(1).max(2000),
  scope: text().max(1000).optional(),
  state: text().max(2000).optional(),
});

/** The consent page's form (POST /oauth/authorize/decide). */
export const consentDecisionSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("approve"), authorization: text().min(20).max(100) }),
  z.object({ action: z.literal("deny"), authorization: text().min(20).max(100) }),
  z.object({
    action: z.literal("request"),
    authorization: text().min(20).max(100),
    // The access request's own fields and messages (lib/access/schema.ts); the connection comes from the authorization.
    minutes: createAccessRequestSchema.shape.minutes,
    reason: createAccessRequestSchema.shape.reason.superRefine(storable),
  }),
]);
export type ConsentDecision = z.output<typeof consentDecisionSchema>;

/** POST /oauth/token (form-encoded). */
export const tokenRequestSchema = z.discriminatedUnion("grant_type", [
  z.object({
    grant_type: z.literal("authorization_code"),
    code: text().min(1).max(200),
    redirect_uri: text().min(1).max(2000),
    client_id: text().min(1).max(2000),
    code_verifier: text().min(1).max(200),
    resource: text().max(2000).optional(),
  }),
  z.object({
    grant_type: z.literal("refresh_token"),
    refresh_token: text().min(1).max(200),
    client_id: text().min(1).max(2000),
    resource: text().max(2000).optional(),
    scope: text().max(1000).optional(),
  }),
]);
export type TokenRequest = z.output<typeof tokenRequestSchema>;

/** The first problem of a failed parse, as one sentence. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid input";
  const path = issue.path.join(".");
  return path && !issue.message.startsWith(path) ? `${path}: ${issue.message}` : issue.message;
}
