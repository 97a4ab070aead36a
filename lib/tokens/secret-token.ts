import { randomBytes } from "node:crypto";
import { sha256Hex } from "../hash.ts";

// Tokens are 256 random bits, shown once, stored only as a SHA-256 hash (fast lookups by hash are
// safe because the input is high-entropy) plus a short prefix to recognise them in lists.

export const API_TOKEN_PREFIX = "tg_";
export const GATEWAY_TOKEN_PREFIX = "tgg_";

export interface NewToken {
  token: string;
  hash: string;
  prefix: string;
}

export function newToken(kind: typeof API_TOKEN_PREFIX | typeof GATEWAY_TOKEN_PREFIX): NewToken {
  const token = `${kind}${randomBytes(32).toString("base64url")}`;
  return { token, hash: sha256Hex(token), prefix: token.slice(0, kind.length + 6) };
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}
