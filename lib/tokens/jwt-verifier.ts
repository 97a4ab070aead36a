import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  type ProtectedHeaderParameters,
} from "jose";

// IdP-issued access tokens (JWTs) of automation identities: validated with `jose` against the
// issuer's JWKS (fetched from its discovery document, cached, refetched when an unknown key id
// shows up, so key rotation needs nothing from us), then issuer, audience, exp/nbf with a clock
// skew, and an asymmetric-algorithm allow-list. Every refusal says precisely what was wrong.

/** Asymmetric algorithms only: never `none`, never HS* (a shared secret would let anyone holding it mint tokens). */
export const JWT_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"] as const;
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ["RS256", "ES256", "PS256", "EdDSA"];
export const DEFAULT_JWT_AUDIENCE = "tollgate";
export const DEFAULT_JWT_CLOCK_SKEW_SECONDS = 60;

export type JwtFailure =
  | "malformed"
  | "unsupported_algorithm"
  | "wrong_issuer"
  | "wrong_audience"
  | "expired"
  | "not_yet_valid"
  | "unknown_key"
  | "bad_signature"
  | "keys_unavailable"
  | "not_a_service_account"
  | "wrong_type";

/** A JWT that Tollgate refuses; `failure` is the machine-readable reason, the message tells a person what to fix. */
export class JwtError extends Error {
  constructor(
    readonly failure: JwtFailure,
    message: string,
  ) {
    super(message);
    this.name = "JwtError";
  }
}

export interface TrustedIssuer {
  /** Exactly the token's `iss`. */
  issuer: string;
  /** Where its keys are; default: `jwks_uri` of `<issuer>/.well-known/openid-configuration`. */
  jwksUri?: string;
}

export interface JwtVerifierOptions {
  issuers: readonly TrustedIssuer[];
  /** The token's `aud` must contain one of these. */
  audiences: readonly string[];
  algorithms?: readonly string[];
  clockSkewSeconds?: number;
  /** Dotted path of the claim that carries groups or roles (e.g. `groups`, `roles`, `realm_access.roles`). */
  groupsClaim?: string;
  /** How soon an unknown `kid` may trigger another JWKS fetch (jose's default: 30 s; tests use 0). */
  jwksCooldownMs?: number;
  /** How long a fetched JWKS is used before it is fetched again. */
  jwksMaxAgeMs?: number;
  /** Discovery and JWKS requests time out after this long. */
  timeoutMs?: number;
  /** The `typ` header every token must carry, e.g. `at+jwt` (RFC 9068 access tokens); unset: any. */
  requiredType?: string;
}

export interface VerifiedJwt {
  issuer: string;
  subject: string;
  /** A readable name from the token (name, preferred_username, client_id, azp, appid, cid), else the subject. */
  name: string;
  groups: string[];
  expiresAt: Date;
  claims: JWTPayload;
}

/** Three dot-separated base64url parts whose header decodes: a JWT (possibly unsigned), not an opaque token. */
export function looksLikeJwt(token: string): boolean {
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) return false;
  try {
    decodeProtectedHeader(token);
    return true;
  } catch {
    return false;
  }
}

/** Reads a dotted claim path as a list of strings (an array, or a space/comma-separated string). */
export function readClaimList(claims: Record<string, unknown>, path: string): string[] {
  let value: unknown = claims;
  for (const part of path.split(".")) {
    value = value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === "string");
  if (typeof value === "string") return value.split(/[,\s]+/).filter(Boolean);
  return [];
}

function stringClaim(claims: JWTPayload, name: string): string | undefined {
  const value = claims[name];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

export class JwtVerifier {
  private readonly issuers: Map<string, TrustedIssuer>;
  private readonly keySets = new Map<string, Promise<JWTVerifyGetKey>>();
  readonly audiences: readonly string[];
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly groupsClaim: string;

  constructor(private readonly options: JwtVerifierOptions) {
    if (options.issuers.length === 0) throw new Error("JwtVerifier needs at least one trusted issuer");
    if (options.audiences.length === 0) throw new Error("JwtVerifier needs at least one audience");
    this.issuers = new Map(options.issuers.map((issuer) => [issuer.issuer, issuer]));
    this.audiences = options.audiences;
    this.algorithms = options.algorithms ?? DEFAULT_JWT_ALGORITHMS;
    const unsafe = this.algorithms.filter((alg) => !(JWT_ALGORITHMS as readonly string[]).includes(alg));
    if (unsafe.length > 0) throw new Error(`Not an allowed JWT algorithm: ${unsafe.join(", ")} (allowed: ${JWT_ALGORITHMS.join(", ")})`);
    this.clockSkewSeconds = options.clockSkewSeconds ?? DEFAULT_JWT_CLOCK_SKEW_SECONDS;
    this.groupsClaim = options.groupsClaim ?? "groups";
  }

  get trustedIssuers(): string[] {
    return [...this.issuers.keys()];
  }

  /** Verifies the token or throws a JwtError naming what is wrong. */
  async verify(token: string): Promise<VerifiedJwt> {
    let header: ProtectedHeaderParameters;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new JwtError("malformed", "The bearer token is not a well-formed JWT (header.payload.signature, base64url JSON).");
    }
    const alg = header.alg;
    if (typeof alg !== "string" || !this.algorithms.includes(alg)) {
      throw new JwtError(
        "unsupported_algorithm",
        `The token's algorithm "${String(alg)}" is not accepted; Tollgate accepts only signed tokens (${this.algorithms.join(", ")}).`,
      );
    }
    // Checked before any key is fetched: a token from an unknown issuer never makes us call out.
    const trusted = typeof unverified.iss === "string" ? this.issuers.get(unverified.iss) : undefined;
    if (!trusted) {
      throw new JwtError(
        "wrong_issuer",
        typeof unverified.iss === "string"
          ? `The token's issuer "${unverified.iss}" is not trusted by Tollgate (TOLLGATE_JWT_ISSUERS).`
          : 'The token has no "iss" claim.',
      );
    }
    const keys = await this.keySet(trusted);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: trusted.issuer,
        audience: [...this.audiences],
        algorithms: [...this.algorithms],
        clockTolerance: this.clockSkewSeconds,
        requiredClaims: ["exp", "sub"],
        ...(this.options.requiredType ? { typ: this.options.requiredType } : {}),
      }));
    } catch (error) {
      throw this.describe(error);
    }
    const subject = payload.sub!;
    return {
      issuer: trusted.issuer,
      subject,
      name:
        stringClaim(payload, "name") ??
        stringClaim(payload, "preferred_username") ??
        stringClaim(payload, "client_id") ??
        stringClaim(payload, "azp") ??
        stringClaim(payload, "appid") ??
        stringClaim(payload, "cid") ??
        subject,
      groups: readClaimList(payload as Record<string, unknown>, this.groupsClaim),
      expiresAt: new Date(payload.exp! * 1000),
      claims: payload,
    };
  }

  private describe(error: unknown): JwtError {
    if (error instanceof JwtError) return error;
    if (error instanceof errors.JWTExpired) {
      const exp = typeof error.payload.exp === "number" ? ` at ${new Date(error.payload.exp * 1000).toISOString()}` : "";
      return new JwtError("expired", `The token expired${exp}. Get a fresh one from your identity provider.`);
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === "nbf") {
        const nbf = typeof error.payload.nbf === "number" ? ` until ${new Date(error.payload.nbf * 1000).toISOString()}` : "";
        return new JwtError("not_yet_valid", `The token is not valid yet${nbf} ("nbf"); check the clocks.`);
      }
      if (error.claim === "aud") {
        const aud = error.payload.aud === undefined ? "none" : JSON.stringify(error.payload.aud);
        return new JwtError(
          "wrong_audience",
          `The token's audience (${aud}) is not Tollgate's (${this.audiences.join(", ")}): request the token for that audience (TOLLGATE_JWT_AUDIENCE).`,
        );
      }
      if (error.claim === "iss") return new JwtError("wrong_issuer", "The token's issuer is not trusted by Tollgate.");
      if (error.claim === "typ") {
        return new JwtError(
          "wrong_type",
          `The token's "typ" header is not "${this.options.requiredType}" (TOLLGATE_JWT_TYP): request an access token, not an ID token.`,
        );
      }
      if (error.reason === "missing") return new JwtError("malformed", `The token lacks the required "${error.claim}" claim.`);
      return new JwtError("malformed", `The token's "${error.claim}" claim is invalid.`);
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      return new JwtError("unsupported_algorithm", `The token's algorithm is not accepted (${this.algorithms.join(", ")}).`);
    }
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
      return new JwtError(
        "unknown_key",
        "The token was signed with a key the issuer does not publish (unknown or rotated-out key id). Get a fresh token.",
      );
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return new JwtError("bad_signature", "The token's signature does not verify against the issuer's keys.");
    }
    if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
      return new JwtError("keys_unavailable", "The issuer's signing keys could not be fetched; try again shortly.");
    }
    if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid || error instanceof errors.JWKInvalid) {
      return new JwtError("malformed", "The bearer token is not a well-formed JWT.");
    }
    return new JwtError("keys_unavailable", "The issuer's signing keys could not be fetched; try again shortly.");
  }

  /** The issuer's remote key set, made once (its JWKS URI discovered first when not configured). */
  private keySet(trusted: TrustedIssuer): Promise<JWTVerifyGetKey> {
    let keys = this.keySets.get(trusted.issuer);
    if (!keys) {
      keys = this.makeKeySet(trusted);
      this.keySets.set(trusted.issuer, keys);
      // A failed discovery is retried on the next token, not cached.
      keys.catch(() => this.keySets.delete(trusted.issuer));
    }
    return keys;
  }

  private async makeKeySet(trusted: TrustedIssuer): Promise<JWTVerifyGetKey> {
    const timeoutMs = this.options.timeoutMs ?? 5000;
    let jwksUri = trusted.jwksUri;
    if (!jwksUri) {
      const discovery = `${trusted.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
      const document = await fetch(discovery, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } })
        .then((response) => (response.ok ? (response.json() as Promise<{ jwks_uri?: unknown }>) : null))
        .catch(() => null);
      if (!document || typeof document.jwks_uri !== "string") {
        throw new JwtError("keys_unavailable", `The issuer's discovery document (${discovery}) could not be read; try again shortly.`);
      }
      jwksUri = document.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUri), {
      timeoutDuration: timeoutMs,
      ...(this.options.jwksCooldownMs !== undefined ? { cooldownDuration: this.options.jwksCooldownMs } : {}),
      ...(this.options.jwksMaxAgeMs !== undefined ? { cacheMaxAge: this.options.jwksMaxAgeMs } : {}),
    });
  }
}
