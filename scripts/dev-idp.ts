/**
 * Development-only OpenID Connect identity provider for Tollgate.
 *
 * Wraps the real `oidc-provider` package so the portal exercises a genuine
 * authorization-code flow (discovery, PKCE, state, token, userinfo, JWKS)
 * without an external IdP. Accounts, keys and sessions live in memory only.
 * NEVER expose this in production: every demo user shares a known password.
 */
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { exportJWK, generateKeyPair, type JWK } from "jose";
// @ts-expect-error -- oidc-provider ships no type declarations; narrowed to the local `ProviderConstructor` below.
import ProviderUntyped from "oidc-provider";

export interface DemoUser {
  subject: string;
  email: string;
  name: string;
  password: string;
  groups: string[];
}

const DEV_PASSWORD = "tollgate-dev";

export const DEMO_USERS: DemoUser[] = [
  { subject: "alice", email: "alice@example.com", name: "Alice Requester", password: DEV_PASSWORD, groups: ["engineering"] },
  { subject: "bob", email: "bob@example.com", name: "Bob Approver", password: DEV_PASSWORD, groups: ["engineering", "sre-leads"] },
  { subject: "carol", email: "carol@example.com", name: "Carol Admin", password: DEV_PASSWORD, groups: ["platform-admins"] },
];

const ROLE_HINTS: Record<string, string> = { alice: "requester", bob: "approver", carol: "admin" };

export interface DevIdpClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
}

/**
 * A machine client (client credentials grant): it gets JWT access tokens for `audience` whose `sub`
 * is its client id and whose `groups` claim lists `groups` — an automation identity for Tollgate.
 */
export interface DevIdpServiceAccount {
  clientId: string;
  clientSecret: string;
  groups: string[];
  name?: string;
}

/** The dev IdP's service account for CI: requests access like alice (engineering → REQUESTER). */
export const DEV_SERVICE_ACCOUNT = { clientId: "ci-bot", groups: ["engineering"], name: "CI bot" } as const;

export interface DevIdp {
  issuer: string;
  /** The audience of the JWT access tokens it issues to service accounts. */
  audience: string;
  /** Its token endpoint (client credentials: POST grant_type=client_credentials with HTTP Basic client auth). */
  tokenEndpoint: string;
  close(): Promise<void>;
}

// ---- Minimal structural types for the parts of oidc-provider we use (it has no bundled .d.ts). ----

interface PromptDetails {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

interface InteractionDetails {
  uid: string;
  prompt: { name: string; reasons: string[]; details: PromptDetails };
  params: { client_id?: string; [key: string]: unknown };
  session?: { accountId?: string };
  grantId?: string;
}

interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

interface GrantConstructor {
  new (properties: { accountId: string; clientId: string }): GrantInstance;
  find(id: string): Promise<GrantInstance | undefined>;
}

interface InteractionResult {
  login?: { accountId: string };
  consent?: { grantId?: string };
}

interface Account {
  accountId: string;
  claims(use: string, scope: string): Promise<Record<string, unknown>>;
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface ProviderInstance {
  callback(): NodeHandler;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: InteractionResult,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  readonly Grant: GrantConstructor;
  on(event: string, listener: (...args: unknown[]) => void): void;
}

interface AccessTokenLike {
  kind: string;
  clientId?: string;
}

interface ResourceServerInfo {
  scope: string;
  audience: string;
  accessTokenTTL: number;
  accessTokenFormat: "jwt";
  jwt: { sign: { alg: string } };
}

interface ClientLike {
  clientId: string;
}

interface ResourceIndicatorsFeature {
  enabled: boolean;
  defaultResource: (ctx: unknown, client: ClientLike) => Promise<string | undefined>;
  useGrantedResource: () => Promise<boolean>;
  getResourceServerInfo: (ctx: unknown, resourceIndicator: string, client: ClientLike) => Promise<ResourceServerInfo>;
}

interface ProviderConfiguration {
  clients: Array<Record<string, unknown>>;
  jwks: { keys: JWK[] };
  cookies: { keys: string[] };
  scopes: string[];
  claims: Record<string, string[] | null>;
  conformIdTokenClaims: boolean;
  responseTypes: string[];
  pkce: { required: () => boolean };
  features: Record<string, { enabled: boolean } | ResourceIndicatorsFeature>;
  extraTokenClaims: (ctx: unknown, token: AccessTokenLike) => Promise<Record<string, unknown> | undefined>;
  interactions: { url: (ctx: unknown, interaction: { uid: string }) => Promise<string> };
  findAccount: (ctx: unknown, sub: string) => Promise<Account | undefined>;
  ttl: Record<string, number>;
}

type ProviderConstructor = new (issuer: string, configuration: ProviderConfiguration) => ProviderInstance;

const Provider = ProviderUntyped as unknown as ProviderConstructor;

// ---- Accounts ----

function findUserByLogin(login: string): DemoUser | undefined {
  const needle = login.trim().toLowerCase();
  // Accept the subject too ("bob") — convenient when typing by hand.
  return DEMO_USERS.find((u) => u.email === needle || u.subject === needle);
}

function passwordMatches(user: DemoUser, password: string): boolean {
  const a = Buffer.from(user.password);
  const b = Buffer.from(password);
  return a.length === b.length && timingSafeEqual(a, b);
}

function accountFor(subject: string): Account | undefined {
  const user = DEMO_USERS.find((u) => u.subject === subject);
  if (!user) return undefined;
  return {
    accountId: user.subject,
    // oidc-provider filters these by granted scopes/claims, so returning everything is fine.
    async claims() {
      return {
        sub: user.subject,
        email: user.email,
        email_verified: true,
        name: user.name,
        groups: [...user.groups],
      };
    },
  };
}

// ---- Login page ----

function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

function renderLoginPage(uid: string, options: { clientId?: string; login?: string; error?: string }): string {
  const users = DEMO_USERS.map(
    (u) => `<li><code>${escapeHtml(u.email)}</code> <span class="role">${escapeHtml(ROLE_HINTS[u.subject] ?? "")}</span></li>`,
  ).join("");
  const error = options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : "";
  const client = options.clientId ? `<p class="muted">Signing in to <code>${escapeHtml(options.clientId)}</code></p>` : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tollgate development IdP</title>
<style>
  *{box-sizing:border-box}
  body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;color:#1f2328}
  .banner{background:#b42318;color:#fff;text-align:center;padding:.6rem 1rem;font-weight:600}
  main{max-width:26rem;margin:2.5rem auto;padding:0 1rem}
  .card{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:1.5rem}
  h1{font-size:1.25rem;margin:0 0 .5rem}
  label{display:block;font-size:.875rem;font-weight:600;margin:.9rem 0 .3rem}
  input{width:100%;padding:.55rem .65rem;border:1px solid #afb8c1;border-radius:6px;font-size:1rem}
  button{margin-top:1.2rem;width:100%;padding:.6rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;font-size:1rem;font-weight:600;cursor:pointer}
  button:hover{background:#1a5fd0}
  .error{background:#ffebe9;border:1px solid #ff8182;color:#82071e;padding:.5rem .75rem;border-radius:6px}
  .muted{color:#59636e;font-size:.875rem}
  .users{margin-top:1.25rem;font-size:.875rem}
  .users ul{padding-left:1.1rem;margin:.4rem 0}
  .role{color:#59636e}
  code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em}
</style>
</head>
<body>
<div class="banner">Development only — do not use in production</div>
<main>
  <div class="card">
    <h1>Tollgate development IdP</h1>
    ${client}
    ${error}
    <form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
      <label for="login">Email</label>
      <input id="login" name="login" type="email" required autofocus value="${escapeHtml(options.login ?? "")}">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" required>
      <button type="submit">Sign in</button>
    </form>
  </div>
  <div class="users">
    <strong>Demo users</strong>
    <ul>${users}</ul>
    <span class="muted">Shared password: <code>${escapeHtml(DEV_PASSWORD)}</code></span>
  </div>
</main>
</body>
</html>`;
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(html);
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "text/plain; charset=utf-8");
  res.setHeader("Cache-Control", "no-store");
  res.end(text);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > 64 * 1024) throw new Error("form body too large");
    chunks.push(buf);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

// ---- Interactions ----

// First-party clients only: grant whatever the request asked for instead of showing a consent screen.
async function finishConsent(
  provider: ProviderInstance,
  req: IncomingMessage,
  res: ServerResponse,
  details: InteractionDetails,
): Promise<void> {
  const accountId = details.session?.accountId;
  const clientId = details.params.client_id;
  if (!accountId || typeof clientId !== "string") {
    sendText(res, 400, "Interaction has no session or client.");
    return;
  }
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(" "));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  if (missingResourceScopes) {
    for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
      grant.addResourceScope(indicator, scopes.join(" "));
    }
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

async function handleInteraction(
  provider: ProviderInstance,
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  action: string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  // The interaction cookie is bound to its uid; refuse a mismatched URL rather than act on another flow.
  if (details.uid !== uid) {
    sendText(res, 400, "Interaction mismatch.");
    return;
  }
  const clientId = typeof details.params.client_id === "string" ? details.params.client_id : undefined;

  if (req.method === "GET" && action === undefined) {
    if (details.prompt.name === "login") {
      sendHtml(res, 200, renderLoginPage(uid, { clientId }));
      return;
    }
    if (details.prompt.name === "consent") {
      await finishConsent(provider, req, res, details);
      return;
    }
    sendText(res, 400, `Unsupported prompt: ${details.prompt.name}`);
    return;
  }

  if (req.method === "POST" && action === "login") {
    if (details.prompt.name !== "login") {
      sendText(res, 400, "This interaction is not waiting for a login.");
      return;
    }
    const form = await readForm(req);
    const login = form.get("login") ?? "";
    const password = form.get("password") ?? "";
    const user = findUserByLogin(login);
    if (!user || !passwordMatches(user, password)) {
      sendHtml(res, 200, renderLoginPage(uid, { clientId, login, error: "Invalid email or password." }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: user.subject } }, { mergeWithLastSubmission: false });
    return;
  }

  sendText(res, 405, "Method not allowed.");
}

// ---- Server ----

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startDevIdp(options: {
  port: number;
  host?: string;
  clients: DevIdpClient[];
  serviceAccounts?: DevIdpServiceAccount[];
  /** `aud` of service-account access tokens (Tollgate's TOLLGATE_JWT_AUDIENCE); default "tollgate". */
  audience?: string;
}): Promise<DevIdp> {
  const host = options.host ?? "127.0.0.1";
  const audience = options.audience ?? "tollgate";
  const serviceAccounts = new Map((options.serviceAccounts ?? []).map((account) => [account.clientId, account]));
  // RFC 8707 resource indicators are absolute URIs; the token's audience is the configured string.
  const resource = URL.canParse(audience) ? audience : `urn:${audience}`;

  // The issuer must contain the real port, which is only known after listen() when port is 0,
  // so the server starts with a placeholder handler and the provider is attached afterwards.
  let providerHandler: NodeHandler | undefined;
  let provider: ProviderInstance | undefined;

  const server = createServer((req, res) => {
    if (!provider || !providerHandler) {
      sendText(res, 503, "Starting up.");
      return;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?\/?$/.exec(path);
    if (match) {
      const [, uid = "", action] = match;
      handleInteraction(provider, req, res, uid, action).catch((error: unknown) => {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (!res.headersSent) sendText(res, 400, `Interaction failed (${message}). Start the sign-in again.`);
        else res.end();
      });
      return;
    }
    providerHandler(req, res);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  const issuer = `http://${formatHost(host)}:${port}`;

  try {
    // Fresh in-memory RS256 key per process: tokens from a previous run simply stop verifying.
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk: JWK = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: "RS256", use: "sig" };

    provider = new Provider(issuer, {
      clients: options.clients
        .map((c) => ({
          client_id: c.clientId,
          client_secret: c.clientSecret,
          redirect_uris: c.redirectUris,
          grant_types: ["authorization_code"],
          response_types: ["code"],
          // Registered as basic, but oidc-provider accepts client_secret_post for secret-based clients too.
          token_endpoint_auth_method: "client_secret_basic",
        }))
        .concat(
          [...serviceAccounts.values()].map((account) => ({
            client_id: account.clientId,
            client_secret: account.clientSecret,
            redirect_uris: [],
            grant_types: ["client_credentials"],
            response_types: [],
            token_endpoint_auth_method: "client_secret_basic",
          })),
        ),
      jwks: { keys: [jwk] },
      cookies: { keys: [randomBytes(32).toString("base64url")] },
      scopes: ["openid", "email", "profile", "groups"],
      claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
      // next-auth reads identity from the ID token; include scope claims there, not only in userinfo.
      conformIdTokenClaims: false,
      responseTypes: ["code"],
      // Be lenient: confidential clients may omit PKCE (S256 is still verified when sent).
      pkce: { required: () => false },
      features: {
        devInteractions: { enabled: false },
        userinfo: { enabled: true },
        clientCredentials: { enabled: true },
        // Service accounts get JWT access tokens for Tollgate's audience; people's flows are untouched
        // (no default resource for them, so their access tokens stay opaque and work at userinfo).
        resourceIndicators: {
          enabled: true,
          defaultResource: async (_ctx, client) => (serviceAccounts.has(client.clientId) ? resource : undefined),
          useGrantedResource: async () => true,
          getResourceServerInfo: async () => ({
            scope: "mcp",
            audience,
            accessTokenTTL: 10 * 60,
            accessTokenFormat: "jwt",
            jwt: { sign: { alg: "RS256" } },
          }),
        },
      },
      extraTokenClaims: async (_ctx, token) => {
        const account = token.kind === "ClientCredentials" && token.clientId ? serviceAccounts.get(token.clientId) : undefined;
        return account ? { groups: [...account.groups], name: account.name ?? account.clientId, client_id: account.clientId } : undefined;
      },
      interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
      findAccount: async (_ctx, sub) => accountFor(sub),
      // Explicit TTLs (seconds) silence oidc-provider's "define the expiration" notices.
      ttl: {
        AccessToken: 60 * 60,
        ClientCredentials: 10 * 60,
        AuthorizationCode: 60,
        IdToken: 60 * 60,
        Interaction: 10 * 60,
        Session: 24 * 60 * 60,
        Grant: 24 * 60 * 60,
      },
    });
    provider.on("server_error", (_ctx: unknown, error: unknown) => {
      console.error("[dev-idp] server_error", error);
    });
    providerHandler = provider.callback();
  } catch (error) {
    server.close();
    throw error;
  }

  return {
    issuer,
    audience,
    tokenEndpoint: `${issuer}/token`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Browsers and fetch keep sockets alive; without this close() would hang until they time out.
        server.closeAllConnections();
      }),
  };
}

// ---- CLI: `tsx scripts/dev-idp.ts` ----

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;

if (invokedDirectly) {
  const port = Number(process.env.PORT ?? 9000);
  const clientId = process.env.DEV_IDP_CLIENT_ID ?? "tollgate-portal";
  const clientSecret = process.env.DEV_IDP_CLIENT_SECRET ?? "tollgate-dev-secret";
  const redirectUri = process.env.DEV_IDP_REDIRECT_URI ?? "http://127.0.0.1:3000/api/auth/callback/oidc";
  const idp = await startDevIdp({ port, clients: [{ clientId, clientSecret, redirectUris: [redirectUri] }] });
  console.log(`[dev-idp] issuer ${idp.issuer} (client ${clientId} -> ${redirectUri}) — development only`);
  const shutdown = (): void => {
    idp.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}
