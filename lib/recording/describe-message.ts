// Classifies a JSON-RPC message for the recording index columns (kind, id, method, tool).

export interface MessageSummary {
  kind: "request" | "notification" | "response" | "error" | "invalid";
  rpcId: string | null;
  method: string | null;
  tool: string | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function describeMessage(message: unknown): MessageSummary {
  if (!isRecord(message)) return { kind: "invalid", rpcId: null, method: null, tool: null };
  const rpcId = typeof message.id === "string" || typeof message.id === "number" ? String(message.id) : null;
  const method = typeof message.method === "string" ? message.method : null;
  const params = isRecord(message.params) ? message.params : undefined;
  const named = method === "tools/call" || method === "prompts/get";
  const tool =
    named && typeof params?.name === "string"
      ? params.name
      : method === "resources/read" && typeof params?.uri === "string"
        ? params.uri
        : null;
  if (method) return { kind: rpcId === null ? "notification" : "request", rpcId, method, tool };
  if ("error" in message) return { kind: "error", rpcId, method: null, tool: null };
  if ("result" in message) return { kind: "response", rpcId, method: null, tool: null };
  return { kind: "invalid", rpcId, method: null, tool: null };
}
