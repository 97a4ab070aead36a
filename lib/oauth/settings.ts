import { gatewayPublicUrl } from "../config.ts";

// Where the authorization server lives and whose resources it serves, and how long things last.

export interface OAuthSettings {
  /** The portal's origin: the `iss` of the authorization server (RFC 8414). */
  issuer: string;
  /** The gateway's public origin: resources are its connection URLs. */
  gatewayOrigin: string;
}

export const OAUTH_LIFETIMES = {
  /** An authorization code is exchanged at once by the client that asked for it. */
  codeSeconds: 60,
  /** Access tokens are short; the refresh token (until the grant ends) renews them. */
  accessTokenSeconds: 3600,
  /**
   * A consent page (or its wait for an approver) left open longer than this ends with access_denied
   * (the access request itself stays pending; once approved, authorizing again needs one click).
   */
  authorizationMinutes: 60,
  /** A cached client ID metadata document is fetched again after this long. */
  metadataDocumentSeconds: 3600,
} as const;

export const OAUTH_SCOPE = "mcp";

export function oauthSettings(env: Record<string, string | undefined> = process.env): OAuthSettings {
  const portal = env.PORTAL_URL ?? env.NEXTAUTH_URL ?? "http://127.0.0.1:3000";
  return { issuer: new URL(portal).origin, gatewayOrigin: new URL(gatewayPublicUrl(env)).origin };
}

/** RFC 8414 authorization server metadata. */
export function authorizationServerMetadata(settings: OAuthSettings) {
  const { issuer } = settings;
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth/authorize`,
    token_endpoint: `${issuer}/oauth/token`,
    registration_endpoint: `${issuer}/oauth/register`,
    scopes_supported: [OAUTH_SCOPE],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    token_endpoint_auth_methods_supported: ["none"],
    code_challenge_methods_supported: ["S256"],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: true,
    service_documentation: `${issuer}/`,
  };
}
