import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StdioClientTransport, type StdioServerParameters } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { UpstreamConnection } from "../../lib/connections/load-connection.ts";
import { transportName } from "../../lib/connections/transport.ts";
import { scrubSecrets, sessionSecrets } from "../secrets.ts";
import { HttpUpstreamTransport } from "./streamable-http.ts";
import { WebSocketUpstreamTransport } from "./websocket.ts";

// Upstream transports sit behind the SDK's small `Transport` interface. The connection's own
// credential is injected here; nothing from the client's request (Authorization, cookies, any
// other header) is ever copied into an upstream request.

export interface UpstreamOptions {
  /** stderr lines of a stdio child: logged for operators, never recorded or sent to clients. */
  onStderr?: (line: string) => void;
  /** The client's bearer token, added to the secrets to scrub (it never goes upstream). */
  bearer?: string | null;
}

export interface OpenedUpstream {
  transport: Transport;
  /** The credential's header and env values (and the client's token): scrubbed from everything the gateway writes. */
  secrets: string[];
}

/**
 * A stdio child in a working directory of its own: a fresh, empty, private (0700) temporary
 * directory, removed once the child has been stopped. It never runs in the gateway's directory,
 * where `.data/` (the vault key, the database) lives.
 */
class SandboxedStdioTransport extends StdioClientTransport {
  constructor(
    params: StdioServerParameters,
    readonly workDir: string,
  ) {
    super({ ...params, cwd: workDir });
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      rmSync(this.workDir, { recursive: true, force: true });
    }
  }
}

/**
 * A command given as a relative path (`node_modules/.bin/server`) means the gateway's directory,
 * as it always has; arguments are passed as they are, so a file they name must be absolute.
 */
function resolveCommand(command: string): string {
  return command.includes("/") && !path.isAbsolute(command) ? path.resolve(command) : command;
}

export function openUpstream(connection: UpstreamConnection, options: UpstreamOptions = {}): OpenedUpstream {
  const credential = connection.readCredential();
  const secrets = sessionSecrets({ credential, bearer: options.bearer ?? null });
  if (transportName(connection.transport) === "stdio") {
    if (!connection.command) throw new Error(`Connection ${connection.slug} has no command`);
    const workDir = mkdtempSync(path.join(tmpdir(), "tollgate-stdio-"));
    const transport = new SandboxedStdioTransport(
      {
        command: resolveCommand(connection.command),
        args: connection.args,
        // Only a minimal inherited environment (PATH, HOME…) plus the connection's own secrets.
        env: credential.env ?? {},
        stderr: "pipe",
      },
      workDir,
    );
    const stderr = transport.stderr;
    if (stderr && options.onStderr) {
      let buffered = "";
      stderr.on("data", (chunk: Buffer) => {
        buffered += chunk.toString("utf8");
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        // A child that never ends its line cannot grow the buffer without bound.
        if (buffered.length > 65_536) {
          lines.push(buffered);
          buffered = "";
        }
        // Scrubbed before it is cut to length, so no cut-off piece of a secret survives.
        for (const line of lines) if (line.trim()) options.onStderr?.(scrubSecrets(line, secrets).slice(0, 2000));
      });
    }
    return { transport, secrets };
  }
  if (!connection.url) throw new Error(`Connection ${connection.slug} has no URL`);
  const headers = { ...(credential.headers ?? {}) };
  const kind = transportName(connection.transport);
  if (kind === "sse") {
    // Legacy HTTP+SSE: the credential goes with the GET that opens the stream and with every POST.
    return { transport: new SSEClientTransport(new URL(connection.url), { requestInit: { headers } }), secrets };
  }
  if (kind === "websocket") return { transport: new WebSocketUpstreamTransport(new URL(connection.url), { headers }), secrets };
  // Streamable HTTP: our own lean client (keep-alive agent, body read once, SSE parsed as it arrives).
  return { transport: new HttpUpstreamTransport(new URL(connection.url), { headers }), secrets };
}
