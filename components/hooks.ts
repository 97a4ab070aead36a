"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { z } from "zod";
// Types only (erased from the bundle): the API's shapes come from the lib/ code that produces or
// parses them, so they cannot drift apart.
import type { AccessRequestScope } from "@/lib/access/list-access-requests";
import type { AccessRequestView, GrantView } from "@/lib/access/present";
import type { CreateAccessRequestInput, DecideAccessRequestInput } from "@/lib/access/schema";
import type { ConnectionView } from "@/lib/connections/present-connection";
import type { CreateConnectionInput, UpdateConnectionInput } from "@/lib/connections/schema";
import type { ListGrantsQuery } from "@/lib/grants/schema";
import type { SessionView } from "@/lib/recording/sessions";
import type { SessionVerification } from "@/lib/recording/views";
import type { CreatedApiToken } from "@/lib/tokens/create-api-token";
import type { GatewayTokenView } from "@/lib/tokens/gateway-tokens";
import type { ApiTokenView } from "@/lib/tokens/present";
import type { createApiTokenSchema } from "@/lib/tokens/schema";
import type { MintedGatewayToken } from "@/lib/tokens/views";
import type { MeView } from "@/lib/users/views";
import { apiFetch } from "./api";

export type { AccessRequestScope };
export type GrantScope = ListGrantsQuery["scope"];
/** GET /api/v1/me. */
export type Me = MeView;
/** POST /api/v1/grants/{id}/tokens: shown once. */
export type MintedToken = MintedGatewayToken;
/** POST /api/v1/connections. */
export type CreateConnectionBody = CreateConnectionInput;
/** PATCH /api/v1/connections/{slug}: only the fields to change (slug and transport are fixed). */
export type UpdateConnectionBody = Omit<UpdateConnectionInput, "slug" | "transport">;
/** POST /api/v1/api-tokens. */
export type CreateApiTokenBody = z.input<typeof createApiTokenSchema>;

/**
 * Dashboards update at once from the /api/v1/events stream (components/live-updates.tsx); this
 * polling is the fallback when the stream is down. A live session polls every 2 s (its events stream).
 */
export const LIVE_POLL_MS = 15_000;
export const SESSION_POLL_MS = 2_000;

export const queryKeys = {
  me: ["me"] as const,
  connections: ["connections"] as const,
  accessRequests: (scope?: AccessRequestScope) => (scope ? (["access-requests", scope] as const) : (["access-requests"] as const)),
  grants: (scope?: GrantScope, active?: boolean) =>
    scope ? (["grants", scope, active ? "active" : "any"] as const) : (["grants"] as const),
  sessions: ["sessions"] as const,
  session: (id: string) => ["sessions", id] as const,
  sessionEvents: (id: string) => ["sessions", id, "events"] as const,
  apiTokens: ["api-tokens"] as const,
  gatewayTokens: (grantId?: string) => (grantId ? (["gateway-tokens", grantId] as const) : (["gateway-tokens"] as const)),
};

export function useMe() {
  return useQuery({ queryKey: queryKeys.me, queryFn: () => apiFetch<Me>("/api/v1/me"), staleTime: 60_000 });
}

export function useConnections() {
  return useQuery({ queryKey: queryKeys.connections, queryFn: () => apiFetch<ConnectionView[]>("/api/v1/connections") });
}

export function useAccessRequests(scope: AccessRequestScope) {
  return useQuery({
    queryKey: queryKeys.accessRequests(scope),
    queryFn: () => apiFetch<AccessRequestView[]>(`/api/v1/access-requests?scope=${scope}`),
    refetchInterval: LIVE_POLL_MS,
  });
}

export function useGrants(scope: GrantScope, options: { active?: boolean } = {}) {
  const active = options.active ?? false;
  return useQuery({
    queryKey: queryKeys.grants(scope, active),
    queryFn: () => apiFetch<GrantView[]>(`/api/v1/grants?scope=${scope}${active ? "&active=1" : ""}`),
    refetchInterval: LIVE_POLL_MS,
  });
}

// The sessions list (filters, search, pages): useSessionPages in ./session-list-hooks.ts.

export function useSession(id: string) {
  return useQuery({
    queryKey: queryKeys.session(id),
    queryFn: () => apiFetch<SessionView>(`/api/v1/sessions/${encodeURIComponent(id)}`),
    refetchInterval: (query) => (query.state.data && query.state.data.endedAt === null ? SESSION_POLL_MS : false),
  });
}

/** The recording's hash-chain check; checked again when the session ends (its chain head is stored then). */
export function useSessionVerification(id: string, endedAt: string | null | undefined) {
  return useQuery({
    queryKey: ["session", id, "verify", endedAt ?? "live"],
    queryFn: () => apiFetch<SessionVerification>(`/api/v1/sessions/${encodeURIComponent(id)}/verify`),
    enabled: endedAt !== undefined,
  });
}

// A session's events (paged, then the live tail): useSessionEventStream in ./session-player-hooks.ts.

export function useCreateAccessRequest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateAccessRequestInput) => apiFetch<AccessRequestView>("/api/v1/access-requests", { method: "POST", json: body }),
    onSuccess: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.accessRequests() }),
        // An auto-approve rule may have produced a grant straight away.
        client.invalidateQueries({ queryKey: queryKeys.grants() }),
      ]);
    },
  });
}

export function useDecide() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, decision, ...body }: { id: string; decision: "approve" | "deny" } & DecideAccessRequestInput) =>
      apiFetch<AccessRequestView>(`/api/v1/access-requests/${encodeURIComponent(id)}/${decision}`, {
        method: "POST",
        json: body.comment ? { comment: body.comment } : {},
      }),
    onSuccess: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.accessRequests() }),
        client.invalidateQueries({ queryKey: queryKeys.grants() }),
      ]);
    },
  });
}

export function useMintToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (grantId: string) =>
      apiFetch<MintedToken>(`/api/v1/grants/${encodeURIComponent(grantId)}/tokens`, { method: "POST", json: {} }),
    onSuccess: async (_token, grantId) => {
      await client.invalidateQueries({ queryKey: queryKeys.gatewayTokens(grantId) });
    },
  });
}

export function useGatewayTokens(grantId: string) {
  return useQuery({
    queryKey: queryKeys.gatewayTokens(grantId),
    queryFn: () => apiFetch<GatewayTokenView[]>(`/api/v1/grants/${encodeURIComponent(grantId)}/tokens`),
  });
}

export function useRevokeGatewayToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (token: { id: string; grantId: string }) =>
      apiFetch<GatewayTokenView>(`/api/v1/gateway-tokens/${encodeURIComponent(token.id)}/revoke`, { method: "POST", json: {} }),
    onSuccess: async (_view, token) => {
      await client.invalidateQueries({ queryKey: queryKeys.gatewayTokens(token.grantId) });
    },
  });
}

export function useCancelAccessRequest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (requestId: string) =>
      apiFetch<AccessRequestView>(`/api/v1/access-requests/${encodeURIComponent(requestId)}/cancel`, { method: "POST", json: {} }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: queryKeys.accessRequests() });
    },
  });
}

export function useRevokeGrant() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (grantId: string) =>
      apiFetch<GrantView>(`/api/v1/grants/${encodeURIComponent(grantId)}/revoke`, { method: "POST", json: {} }),
    onSuccess: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: queryKeys.grants() }),
        client.invalidateQueries({ queryKey: queryKeys.accessRequests() }),
        client.invalidateQueries({ queryKey: queryKeys.sessions }),
      ]);
    },
  });
}

export function useCreateConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateConnectionBody) => apiFetch<ConnectionView>("/api/v1/connections", { method: "POST", json: body }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: queryKeys.connections });
    },
  });
}

export function useUpdateConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ slug, body }: { slug: string; body: UpdateConnectionBody }) =>
      apiFetch<ConnectionView>(`/api/v1/connections/${encodeURIComponent(slug)}`, { method: "PATCH", json: body }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: queryKeys.connections });
    },
  });
}

export function useApiTokens() {
  return useQuery({ queryKey: queryKeys.apiTokens, queryFn: () => apiFetch<ApiTokenView[]>("/api/v1/api-tokens") });
}

export function useCreateApiToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateApiTokenBody) => apiFetch<CreatedApiToken>("/api/v1/api-tokens", { method: "POST", json: body }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: queryKeys.apiTokens });
    },
  });
}

export function useRevokeApiToken() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) =>
      apiFetch<ApiTokenView>(`/api/v1/api-tokens/${encodeURIComponent(tokenId)}/revoke`, { method: "POST", json: {} }),
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: queryKeys.apiTokens });
    },
  });
}

/** `value`, once it has stopped changing for `ms` (search boxes, previews). */
export function useDebounced<T>(value: T, ms = 350): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
