"use client";

import { CopyButton } from "./live";

export const TOKEN_PLACEHOLDER = "<token>";

export function gatewayEndpoint(gatewayUrl: string, slug: string): string {
  return `${gatewayUrl.replace(/\/+$/, "")}/mcp/${slug}`;
}

export function clientConfigs(options: { gatewayUrl: string; slug: string; token: string | null }) {
  const url = gatewayEndpoint(options.gatewayUrl, options.slug);
  const token = options.token ?? TOKEN_PLACEHOLDER;
  const authorization = `Bearer ${token}`;
  return [
    {
      id: "http",
      title: "Streamable HTTP (any MCP client)",
      text: `URL: ${url}\nAuthorization: ${authorization}`,
    },
    {
      id: "mcp-remote",
      title: "Claude Desktop / Cursor (mcp-remote)",
      text: JSON.stringify(
        // -y: without a terminal (a desktop app starts it), npx refuses to fetch a package it must ask about.
        {
          mcpServers: {
            [options.slug]: { command: "npx", args: ["-y", "mcp-remote", url, "--header", `Authorization: ${authorization}`] },
          },
        },
        null,
        2,
      ),
    },
    {
      id: "vscode",
      title: "VS Code (.vscode/mcp.json)",
      text: JSON.stringify({ servers: { [options.slug]: { type: "http", url, headers: { Authorization: authorization } } } }, null, 2),
    },
  ];
}

export function ClientConfigs({ gatewayUrl, slug, token }: { gatewayUrl: string | undefined; slug: string; token: string | null }) {
  if (!gatewayUrl) return <p className="text-xs text-gray-500">Loading client configuration…</p>;
  const configs = clientConfigs({ gatewayUrl, slug, token });
  return (
    <div className="space-y-2">
      <p className="text-xs text-gray-500">
        {token ? "Ready to paste — these contain your token." : `Create a gateway token, then paste it where it says ${TOKEN_PLACEHOLDER}.`}
      </p>
      <div className="grid gap-2 lg:grid-cols-3">
        {configs.map((config) => (
          <div key={config.id} className="min-w-0 rounded-md border border-gray-200 bg-gray-50" data-config={config.id}>
            <div className="flex items-center justify-between gap-2 border-b border-gray-200 px-2.5 py-1.5">
              <h4 className="text-xs font-semibold text-gray-700">{config.title}</h4>
              <CopyButton text={config.text} />
            </div>
            <pre className="p-2.5 text-xs leading-relaxed break-all whitespace-pre-wrap text-gray-800">{config.text}</pre>
          </div>
        ))}
      </div>
    </div>
  );
}
