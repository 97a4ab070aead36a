import { spawn } from "node:child_process";
import path from "node:path";

// `npm start`: the whole stack on embedded defaults. Ctrl-C stops everything cleanly.
//
// A terminal's Ctrl-C sends SIGINT to its whole foreground process group: the gateway, the portal
// and embedded Postgres would all get it at once, and Postgres (a fast shutdown) would be gone
// before the gateway recorded its sessions' ends. So this process only supervises: the stack runs
// in a child with a process group of its own (detached), which the terminal's signals do not
// reach, and a Ctrl-C here becomes one orderly stop there — the gateway ends its sessions and
// closes its database clients, then the portal and the IdP stop, and Postgres last.

const SUPERVISED = "TOLLGATE_START_SUPERVISED";
if (process.env[SUPERVISED] !== "1" && process.platform !== "win32") {
  const stack = spawn(process.execPath, ["--import", "tsx", import.meta.filename], {
    detached: true,
    // No stdin: a process outside the terminal's session must not read it. The IPC channel lets the
    // stack notice if this supervisor dies without a word (it then stops itself).
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, [SUPERVISED]: "1" },
  });
  let signals = 0;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      signals += 1;
      if (signals === 1) stack.kill("SIGTERM");
      else if (signals === 3 && stack.pid) {
        // A third Ctrl-C: the user will not wait for an orderly stop; kill the stack's whole group.
        console.error("\nKilling Tollgate's processes now (sessions in flight may not record their end).");
        process.kill(-stack.pid, "SIGKILL");
      }
    });
  }
  stack.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await run();
}

async function run(): Promise<void> {
  // While the stack is starting there is no session to end: a stop interrupts everything at once
  // (the portal build, Postgres, …), as a terminal's Ctrl-C does to its process group.
  let stop = () => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.removeAllListeners(signal);
    try {
      process.kill(-process.pid, "SIGINT");
    } catch {
      process.exit(130);
    }
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => stop());
  // Supervised: the supervisor went away (killed, terminal closed) — stop rather than run on unseen.
  process.on("disconnect", () => stop());
  // Loaded here, not at the top: the supervisor above needs none of it.
  const { GATEWAY_DEFAULTS } = await import("../lib/config.ts");
  const { ROOT, startStack } = await import("./stack.ts");

  const port = (name: string, fallback: number) => {
    const value = Number(process.env[name] ?? fallback);
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      console.error(`${name} must be a port number (1-65535), got "${process.env[name]}"`);
      process.exit(1);
    }
    return value;
  };

  const stack = await startStack({
    dataDir: path.join(ROOT, ".data"),
    portalPort: port("PORT", 3000),
    gatewayPort: port("GATEWAY_PORT", GATEWAY_DEFAULTS.port),
    idpPort: port("DEV_IDP_PORT", 9000),
    embeddedPgPort: port("EMBEDDED_PG_PORT", 54329),
    inheritOutput: true,
  }).catch((error: Error) => {
    console.error(`\nTollgate could not start: ${error.message}`);
    process.exit(1);
  });

  const lines = [
    "",
    "Tollgate is running.",
    `  Portal:   ${stack.portalUrl}`,
    `  Gateway:  ${stack.gatewayUrl}/mcp/<connection>   (e.g. ${stack.gatewayUrl}/mcp/everything)`,
    `  IdP:      ${stack.issuer}${stack.devIdp ? "   (DEVELOPMENT ONLY — set OIDC_ISSUER for a real IdP)" : ""}`,
  ];
  if (stack.devIdp) {
    lines.push(
      "",
      "Demo sign-ins (password: tollgate-dev):",
      "  alice@example.com  requester",
      "  bob@example.com    approver",
      "  carol@example.com  admin",
      "",
      "Development API tokens (new on every start):",
      ...stack.demoTokens.map((t) => `  ${t.email.split("@")[0]} (${t.role}) API token: ${t.token}`),
    );
    const sa = stack.serviceAccount;
    if (sa) {
      lines.push(
        "",
        "Development service account (client credentials, group engineering; secret new on every start):",
        `  client id: ${sa.clientId}   secret: ${sa.clientSecret}`,
        `  Get a JWT access token (10 minutes, audience "${sa.audience}") and use it as a bearer token with the API and the gateway:`,
        `  JWT=$(curl -s -u ${sa.clientId}:${sa.clientSecret} -d grant_type=client_credentials ${sa.tokenEndpoint} | jq -r .access_token)`,
        `  curl -s -H "Authorization: Bearer $JWT" ${stack.portalUrl}/api/v1/me`,
      );
    }
  }
  lines.push("", "Press Ctrl-C to stop.", "");
  console.log(lines.join("\n"));

  let stopping = false;
  stop = () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping Tollgate…");
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
}
