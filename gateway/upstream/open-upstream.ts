import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { UpstreamConnection } from "../../lib/connections/load-connection.ts";
import { transportName } from "../../lib/connections/transport.ts";

// Upstream transports sit behind the SDK's small `Transport` interface. The connection's own
// credential is injected here; nothing from the client's request (Authorization, cookies, any
// other header) is ever copied into an upstream request.

export interface UpstreamOptions {
  /** stderr lines of a stdio child: logged for operators, never recorded or sent to clients. */
  onStderr?: (line: string) => void;
}

export function openUpstream(connection: UpstreamConnection, options: UpstreamOptions = {}): Transport {
  const credential = connection.readCredential();
  if (transportName(connection.transport) === "stdio") {
    if (!connection.command) throw new Error(`Connection ${connection.slug} has no command`);
    const transport = new StdioClientTransport({
      command: connection.command,
      args: connection.args,
      // Only a minimal inherited environment (PATH, HOME…) plus the connection's own secrets.
      env: credential.env ?? {},
      cwd: process.cwd(),
      stderr: "pipe",
    });
    const stderr = transport.stderr;
    if (stderr && options.onStderr) {
      let buffered = "";
      stderr.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) if (line.trim()) options.onStderr?.(line.slice(0, 2000));
      });
    }
    return transport;
  }
  if (!connection.url) throw new Error(`Connection ${connection.slug} has no URL`);
  return new StreamableHTTPClientTransport(new URL(connection.url), {
    requestInit: { headers: { ...(credential.headers ?? {}) } },
  });
}
