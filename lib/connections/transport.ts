import { Transport } from "../db/generated/enums.ts";

// The one mapping between a connection's transport as the API and UI name it and as the database
// stores it (the Prisma enum). Import-safe in the browser: enums.ts holds plain constants only.

export const TRANSPORT_NAMES = {
  "streamable-http": Transport.STREAMABLE_HTTP,
  stdio: Transport.STDIO,
  /** The legacy HTTP+SSE transport (2024-11-05): a GET event stream announcing a POST endpoint. */
  sse: Transport.SSE,
  /** JSON-RPC text frames over a WebSocket (subprotocol `mcp`). */
  websocket: Transport.WEBSOCKET,
} as const satisfies Record<string, Transport>;
/** The API's name of a transport: "streamable-http", "stdio", "sse" or "websocket". */
export type TransportName = keyof typeof TRANSPORT_NAMES;
/** Every API name, e.g. for `z.enum`. */
export const TRANSPORT_NAME_LIST = Object.keys(TRANSPORT_NAMES) as [TransportName, ...TransportName[]];

const NAMES_BY_ENUM = Object.fromEntries(Object.entries(TRANSPORT_NAMES).map(([name, value]) => [value, name])) as {
  [Name in TransportName as (typeof TRANSPORT_NAMES)[Name]]: Name;
};

/** "STDIO" → "stdio", "STREAMABLE_HTTP" → "streamable-http". */
export function transportName(transport: Transport): TransportName {
  return NAMES_BY_ENUM[transport];
}

/** "stdio" → "STDIO", "streamable-http" → "STREAMABLE_HTTP". */
export function transportEnum(name: TransportName): Transport {
  return TRANSPORT_NAMES[name];
}

/** Transports whose upstream is reached at a URL (all but stdio). */
export function isUrlTransport(name: TransportName): name is Exclude<TransportName, "stdio"> {
  return name !== "stdio";
}
