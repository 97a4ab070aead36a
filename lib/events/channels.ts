// Postgres NOTIFY channels: what changed, never the data itself (listeners refetch through the
// authorized API). Notifications are sent inside the changing transaction, so they arrive on commit.

export const LIVE_CHANNELS = {
  accessRequests: "tollgate_access_requests",
  grantRevoked: "tollgate_grant_revoked",
  gatewayTokenRevoked: "tollgate_gateway_token_revoked",
  sessions: "tollgate_sessions",
  /** Payload: the policy scope saved ("global" or "connection:<id>"); gateways recompile. */
  policies: "tollgate_policies",
  /** Payload: the held call's id (created, decided, expired, cancelled, abandoned); the holding gateway re-reads it. */
  heldCalls: "tollgate_held_calls",
  /** Payload: "<sessionId>:<newest committed seq>", sent by the recorder after each commit; live tails re-read from their last seq. */
  sessionEvents: "tollgate_session_events",
} as const;

export type LiveTopic = keyof typeof LIVE_CHANNELS;
