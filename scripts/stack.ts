import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { DEMO_ROLE_MAPPINGS, parseRoleMappings } from "../lib/config.ts";
import { createDb } from "../lib/db/client.ts";
import { databaseUrl, type EmbeddedDatabase, startEmbeddedPostgres } from "../lib/db/embedded.ts";
import { migrate } from "../lib/db/migrate.ts";
import { seed } from "../lib/db/seed.ts";
import { endOrphanedSessions } from "../lib/recording/sessions.ts";
import { createApiToken } from "../lib/tokens/create-api-token.ts";
import { DEFAULT_JWT_AUDIENCE } from "../lib/tokens/jwt-verifier.ts";
import { DEMO_USERS, DEV_SERVICE_ACCOUNT, type DevIdp, startDevIdp } from "./dev-idp.ts";
import { stopChild } from "./processes.ts";

// Starts the whole Tollgate stack: Postgres (embedded unless DATABASE_URL is given), migrations,
// seed, the development IdP (unless OIDC_ISSUER is given), the production-built portal and the
// gateway. Used by `npm start` and by the end-to-end tests, so both run the same parts.

export const ROOT = path.resolve(import.meta.dirname, "..");

export interface StackOptions {
  /** External Postgres; when absent an embedded one runs with its data in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  embeddedPgPort?: number;
  portalPort: number;
  gatewayPort: number;
  idpPort: number;
  /** Host name used in every URL the browser sees (portal, IdP) — one host, or cookies break. */
  publicHost?: string;
  env?: Record<string, string | undefined>;
  /** Rebuild the portal when its sources changed since the last build. */
  build?: boolean;
  log?: (line: string) => void;
  /** Mirror the children's output (portal, gateway) to this process's stdout/stderr. */
  inheritOutput?: boolean;
}

export interface DemoToken {
  email: string;
  role: string;
  token: string;
}

/** The dev IdP's service account (client credentials), with a fresh secret on every start. */
export interface DemoServiceAccount {
  clientId: string;
  clientSecret: string;
  tokenEndpoint: string;
  audience: string;
}

export interface Stack {
  portalUrl: string;
  gatewayUrl: string;
  issuer: string;
  devIdp: boolean;
  databaseUrl: string;
  demoTokens: DemoToken[];
  /** Only with the dev IdP. */
  serviceAccount?: DemoServiceAccount;
  stop(): Promise<void>;
}

async function readOrCreateSecret(file: string, make: () => string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const value = make();
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
  } finally {
    await client.end();
  }
}

/** A fingerprint of everything the portal build depends on, to rebuild only when it changed. */
async function sourceFingerprint(): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (dir: string): Promise<void> => {
    if (!existsSync(dir)) return;
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const info = await stat(full);
        hash.update(`${full}:${info.size}:${info.mtimeMs}\n`);
      }
    }
  };
  for (const dir of ["app", "components", "lib"]) await walk(path.join(ROOT, dir));
  for (const file of ["package.json", "next.config.ts", "postcss.config.mjs", "tsconfig.json"]) {
    if (existsSync(path.join(ROOT, file))) hash.update(await readFile(path.join(ROOT, file)));
  }
  return hash.digest("hex");
}

export async function buildPortalIfStale(log: (line: string) => void): Promise<void> {
  const marker = path.join(ROOT, ".next", "tollgate-source-fingerprint");
  const fingerprint = await sourceFingerprint();
  if (existsSync(path.join(ROOT, ".next", "BUILD_ID")) && existsSync(marker) && (await readFile(marker, "utf8")) === fingerprint) return;
  log("Building the portal (next build)…");
  await run(process.execPath, [path.join(ROOT, "node_modules/next/dist/bin/next"), "build"], { NEXT_TELEMETRY_DISABLED: "1" });
  await writeFile(marker, fingerprint);
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: "inherit", env: { ...process.env, ...env } });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
  });
}

async function waitForHttp(url: string, child: ChildProcess, name: string, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} while starting`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${name} did not answer at ${url} within ${ms / 1000}s`);
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? ((line: string) => console.log(line));
  const env = { ...process.env, ...options.env };
  const host = options.publicHost ?? "127.0.0.1";
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: Error) => log(`shutdown: ${error.message}`));
  };

  try {
    await mkdir(options.dataDir, { recursive: true });
    const secretKey =
      env.TOLLGATE_SECRET_KEY ??
      (await readOrCreateSecret(path.join(options.dataDir, "secret.key"), () => randomBytes(32).toString("base64")));
    const nextAuthSecret =
      env.NEXTAUTH_SECRET ??
      (await readOrCreateSecret(path.join(options.dataDir, "nextauth.secret"), () => randomBytes(32).toString("base64url")));

    let url = options.databaseUrl ?? env.DATABASE_URL;
    if (!url) {
      const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
        dataDir: path.join(options.dataDir, "postgres"),
        port: options.embeddedPgPort ?? 54329,
        persistent: true,
      });
      stops.push(() => embedded.stop());
      await ensureDatabase(embedded.adminUrl, "tollgate");
      url = databaseUrl(embedded.adminUrl, "tollgate");
      log(`Postgres (embedded, data in ${path.relative(ROOT, path.join(options.dataDir, "postgres")) || "."}) on port ${embedded.port}`);
    } else {
      log("Postgres: using DATABASE_URL");
    }
    const migrated = await migrate({ databaseUrl: url });
    if (migrated.applied.length) log(`Applied migrations: ${migrated.applied.join(", ")}`);

    // Behind a proxy or on a real domain, NEXTAUTH_URL is the portal's public origin.
    const portalUrl = (env.NEXTAUTH_URL ?? `http://${host}:${options.portalPort}`).replace(/\/$/, "");
    const devIdp = !env.OIDC_ISSUER;
    let idp: DevIdp | undefined;
    let oidcEnv: Record<string, string>;
    let serviceAccount: DemoServiceAccount | undefined;
    if (devIdp) {
      const clientSecret = randomBytes(24).toString("base64url");
      const serviceAccountSecret = randomBytes(24).toString("base64url");
      idp = await startDevIdp({
        port: options.idpPort,
        host: "127.0.0.1",
        clients: [{ clientId: "tollgate-portal", clientSecret, redirectUris: [`${portalUrl}/api/auth/callback/oidc`] }],
        serviceAccounts: [{ ...DEV_SERVICE_ACCOUNT, groups: [...DEV_SERVICE_ACCOUNT.groups], clientSecret: serviceAccountSecret }],
        // The audience the gateway and the portal expect (TOLLGATE_JWT_AUDIENCE, default "tollgate").
        audience: env.TOLLGATE_JWT_AUDIENCE?.split(",")[0]?.trim() || DEFAULT_JWT_AUDIENCE,
      });
      serviceAccount = {
        clientId: DEV_SERVICE_ACCOUNT.clientId,
        clientSecret: serviceAccountSecret,
        tokenEndpoint: idp.tokenEndpoint,
        audience: idp.audience,
      };
      stops.push(() => idp!.close());
      oidcEnv = {
        OIDC_ISSUER: idp.issuer,
        OIDC_CLIENT_ID: "tollgate-portal",
        OIDC_CLIENT_SECRET: clientSecret,
        OIDC_GROUPS_CLAIM: "groups",
        OIDC_PROVIDER_NAME: "Tollgate development IdP",
      };
    } else {
      oidcEnv = {};
    }

    const roleMappings = parseRoleMappings(env.ROLE_MAPPINGS ?? (devIdp ? DEMO_ROLE_MAPPINGS : ""));
    const db = createDb(url);
    const demoTokens: DemoToken[] = [];
    try {
      const seeded = await seed(db, { roleMappings, demoUsers: devIdp ? DEMO_USERS : [] });
      // npm start runs the only gateway: nothing can still be live from a previous run (the gateway ends
      // its previous run's sessions itself too, by instance id; this also covers sessions without one).
      const orphaned = await endOrphanedSessions(db, { reason: "gateway restarted" });
      if (orphaned > 0) log(`Marked ${orphaned} session(s) left open by the previous run as ended.`);
      // Development only: a fresh personal API token per demo user on every start, to script the API at once.
      for (const user of seeded.users) {
        const role = user.roles.includes("ADMIN") ? "admin" : user.roles.includes("APPROVER") ? "approver" : "requester";
        const minted = await createApiToken(db, {
          actor: { id: user.id, email: user.email, roles: user.roles },
          name: "npm start (development)",
        });
        demoTokens.push({ email: user.email, role, token: minted.token });
      }
    } finally {
      await db.$disconnect();
    }

    const gatewayUrl = env.GATEWAY_PUBLIC_URL ?? `http://localhost:${options.gatewayPort}`;
    const childEnv: NodeJS.ProcessEnv = {
      ...(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) as Record<string, string>),
      ...oidcEnv,
      DATABASE_URL: url,
      TOLLGATE_SECRET_KEY: secretKey,
      NEXTAUTH_SECRET: nextAuthSecret,
      NEXTAUTH_URL: portalUrl,
      GATEWAY_PUBLIC_URL: gatewayUrl,
      GATEWAY_PORT: String(options.gatewayPort),
      // The one gateway keeps its id across restarts: on start it ends its previous run's sessions and held calls at once.
      GATEWAY_INSTANCE_ID: env.GATEWAY_INSTANCE_ID ?? "npm-start",
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: "production",
    };

    if (options.build !== false) await buildPortalIfStale(log);
    const output: "inherit" | "ignore" = options.inheritOutput ? "inherit" : "ignore";
    const gateway = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "gateway/main.ts")], {
      cwd: ROOT,
      env: childEnv,
      stdio: ["ignore", output, output],
    });
    const portal = spawn(
      process.execPath,
      [path.join(ROOT, "node_modules/next/dist/bin/next"), "start", "-p", String(options.portalPort), "-H", "127.0.0.1"],
      {
        cwd: ROOT,
        env: childEnv,
        stdio: ["ignore", output, output],
      },
    );
    // Stops run in reverse order: the gateway first (it ends its sessions and records their ends while
    // Postgres is up, then closes its database clients), then the portal, the IdP, and Postgres last.
    stops.push(() => stopChild(portal));
    stops.push(() => stopChild(gateway));
    await Promise.all([
      waitForHttp(`http://127.0.0.1:${options.gatewayPort}/readyz`, gateway, "gateway"),
      waitForHttp(`http://127.0.0.1:${options.portalPort}/api/v1/openapi.json`, portal, "portal"),
    ]);

    return {
      portalUrl,
      gatewayUrl,
      issuer: idp?.issuer ?? env.OIDC_ISSUER!,
      devIdp,
      databaseUrl: url,
      demoTokens,
      serviceAccount,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
