"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { heldCallKeys } from "./held-call-hooks";
import { queryKeys } from "./hooks";

/**
 * Subscribes to /api/v1/events and refetches what changed at once. Polling in the hooks stays
 * as a slower fallback for when the stream is down.
 */
export function LiveUpdates() {
  const client = useQueryClient();
  useEffect(() => {
    const source = new EventSource("/api/v1/events");
    const refresh =
      (...keys: ReadonlyArray<readonly unknown[]>) =>
      () => {
        for (const queryKey of keys) void client.invalidateQueries({ queryKey });
      };
    const onAccess = refresh(queryKeys.accessRequests(), queryKeys.grants());
    const onGrants = refresh(queryKeys.grants(), queryKeys.sessions);
    const onSessions = refresh(queryKeys.sessions);
    const onReconnect = refresh(queryKeys.accessRequests(), queryKeys.grants(), queryKeys.sessions, heldCallKeys.all);
    source.addEventListener("accessRequests", onAccess);
    source.addEventListener("grantRevoked", onGrants);
    source.addEventListener("sessions", onSessions);
    source.addEventListener("gatewayTokenRevoked", refresh(queryKeys.gatewayTokens(), queryKeys.sessions));
    // A held call was created, decided, expired, cancelled or abandoned.
    source.addEventListener("heldCalls", refresh(heldCallKeys.all));
    source.addEventListener("reconnected", onReconnect);
    return () => source.close();
  }, [client]);
  return null;
}
