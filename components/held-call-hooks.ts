"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
// Types only (erased from the bundle): the API's shapes come from the lib/ code that produces them.
import type { HeldCallStatus } from "@/lib/db/generated/enums";
import type { DecideHeldCallInput, ListHeldCallsQuery } from "@/lib/held-calls/schema";
import type { HeldCallView } from "@/lib/held-calls/views";
import { apiFetch } from "./api";
import { LIVE_POLL_MS } from "./hooks";

export type { HeldCallStatus, HeldCallView };
export type HeldCallScope = ListHeldCallsQuery["scope"];

/** Held tool calls: every query lives under ["held-calls"], so one invalidation refreshes them all. */
export const heldCallKeys = {
  all: ["held-calls"] as const,
  list: (scope: HeldCallScope, status: HeldCallStatus | "any") => ["held-calls", scope, status] as const,
};

/**
 * GET /api/v1/held-calls, newest first. `scope` "all" is every call the viewer may see (approvers:
 * everyone's), "mine" the viewer's own. The `heldCalls` live topic refreshes it at once
 * (components/live-updates.tsx); the poll is the fallback.
 */
export function useHeldCalls(options: { scope: HeldCallScope; status?: HeldCallStatus }) {
  const status = options.status ?? "any";
  const query = new URLSearchParams({ scope: options.scope });
  if (options.status) query.set("status", options.status);
  return useQuery({
    queryKey: heldCallKeys.list(options.scope, status),
    queryFn: () => apiFetch<HeldCallView[]>(`/api/v1/held-calls?${query.toString()}`),
    refetchInterval: LIVE_POLL_MS,
  });
}

export type DecideHeldCallVariables = { id: string; decision: "approve" | "deny" } & DecideHeldCallInput;

/** POST /api/v1/held-calls/{id}/approve or …/deny; `scope` only goes with an approval. */
export function useDecideHeldCall() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, decision, comment, scope }: DecideHeldCallVariables) =>
      apiFetch<HeldCallView>(`/api/v1/held-calls/${encodeURIComponent(id)}/${decision}`, {
        method: "POST",
        json: {
          ...(comment ? { comment } : {}),
          ...(decision === "approve" && scope ? { scope } : {}),
        },
      }),
    onSettled: async () => {
      // Also after a failure: a 409 means someone else decided it, or it expired, meanwhile.
      await client.invalidateQueries({ queryKey: heldCallKeys.all });
    },
  });
}

/**
 * Refetches the held calls a moment after a pending call's deadline: the gateway answers the
 * client with a timeout then and the row becomes EXPIRED, without a NOTIFY the page could miss.
 */
export function useRefreshAfterDeadline(deadline: string | null): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!deadline) return;
    const wait = new Date(deadline).getTime() - Date.now() + DEADLINE_GRACE_MS;
    // setTimeout overflows beyond ~24.8 days; holds are at most a day.
    if (!Number.isFinite(wait) || wait > 2 ** 31 - 1) return;
    const timer = setTimeout(() => void client.invalidateQueries({ queryKey: heldCallKeys.all }), Math.max(0, wait));
    return () => clearTimeout(timer);
  }, [client, deadline]);
}

const DEADLINE_GRACE_MS = 2_000;
