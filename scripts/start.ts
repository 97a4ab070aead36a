import path from "node:path";
import { GATEWAY_DEFAULTS } from "../lib/config.ts";
import { ROOT, startStack } from "./stack.ts";

// `npm start`: the whole stack on embedded defaults. Ctrl-C stops everything cleanly.

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
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log("\nStopping Tollgate…");
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
