import { z } from "zod";
import {
  DEFAULT_JWT_ALGORITHMS,
  DEFAULT_JWT_AUDIENCE,
  DEFAULT_JWT_CLOCK_SKEW_SECONDS,
  JWT_ALGORITHMS,
  JwtVerifier,
  type JwtVerifierOptions,
} from "./jwt-verifier.ts";

// Which IdP-issued JWTs (service accounts) the gateway and the portal's API accept. Read once per
// process from the environment; both processes read the same variables.

const list = (value: string | undefined) =>
  (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

const jwtSchema = z.object({
  /** Comma-separated trusted issuers (exactly the tokens' `iss`); default OIDC_ISSUER; `none` turns JWTs off. */
  TOLLGATE_JWT_ISSUERS: z.string().optional(),
  OIDC_ISSUER: z.string().optional(),
  TOLLGATE_JWT_AUDIENCE: z.string().trim().min(1).default(DEFAULT_JWT_AUDIENCE),
  TOLLGATE_JWT_ALGORITHMS: z
    .string()
    .default(DEFAULT_JWT_ALGORITHMS.join(","))
    .refine(
      (value) => list(value).every((alg) => (JWT_ALGORITHMS as readonly string[]).includes(alg)),
      `must list only asymmetric algorithms (${JWT_ALGORITHMS.join(", ")}); never none or HS*`,
    ),
  TOLLGATE_JWT_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(DEFAULT_JWT_CLOCK_SKEW_SECONDS),
  TOLLGATE_JWT_GROUPS_CLAIM: z.string().trim().min(1).optional(),
  OIDC_GROUPS_CLAIM: z.string().trim().min(1).optional(),
  /** RFC 9068: require this `typ` header (e.g. `at+jwt`, so ID tokens are refused); unset: any. */
  TOLLGATE_JWT_TYP: z.string().trim().min(1).optional(),
});

/** The verifier's settings from the environment, or null when no issuer is trusted (JWTs refused). */
export function jwtVerifierConfig(env: Record<string, string | undefined> = process.env): JwtVerifierOptions | null {
  const result = jwtSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const config = result.data;
  const configured = config.TOLLGATE_JWT_ISSUERS?.trim();
  if (configured?.toLowerCase() === "none") return null;
  const issuers = configured ? list(configured) : list(config.OIDC_ISSUER);
  for (const issuer of issuers) {
    if (!URL.canParse(issuer)) throw new Error(`Invalid configuration:\n  TOLLGATE_JWT_ISSUERS: "${issuer}" is not a URL`);
  }
  if (issuers.length === 0) return null;
  return {
    issuers: issuers.map((issuer) => ({ issuer })),
    audiences: list(config.TOLLGATE_JWT_AUDIENCE),
    algorithms: list(config.TOLLGATE_JWT_ALGORITHMS),
    clockSkewSeconds: config.TOLLGATE_JWT_CLOCK_SKEW_SECONDS,
    groupsClaim: config.TOLLGATE_JWT_GROUPS_CLAIM ?? config.OIDC_GROUPS_CLAIM ?? "groups",
    ...(config.TOLLGATE_JWT_TYP ? { requiredType: config.TOLLGATE_JWT_TYP } : {}),
  };
}

let shared: { verifier: JwtVerifier | null } | undefined;

/** This process's verifier, built from the environment on first use (null: no issuer trusted). */
export function processJwtVerifier(): JwtVerifier | null {
  if (!shared) {
    const config = jwtVerifierConfig();
    shared = { verifier: config ? new JwtVerifier(config) : null };
  }
  return shared.verifier;
}
