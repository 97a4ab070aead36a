"use client";

import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import type { AuditEventPage } from "@/lib/audit/list-audit-events";
import type { AuditChainResult } from "@/lib/audit/verify-audit-chain";
import { apiFetch } from "./api";

/** The filters of the audit log; an empty string means "any". */
export interface AuditFilters {
  action: string;
  targetType: string;
  targetId: string;
  actorEmail: string;
}

export const EMPTY_AUDIT_FILTERS: AuditFilters = { action: "", targetType: "", targetId: "", actorEmail: "" };

export const auditQueryKeys = {
  events: (filters?: AuditFilters) => (filters ? (["audit-events", filters] as const) : (["audit-events"] as const)),
};

function auditEventsPath(filters: AuditFilters, before: string | null): string {
  const query = new URLSearchParams();
  const pairs: Array<[string, string]> = [
    ["action", filters.action],
    ["targetType", filters.targetType],
    ["targetId", filters.targetId],
    ["actor", filters.actorEmail],
  ];
  for (const [name, value] of pairs) if (value.trim()) query.set(name, value.trim());
  if (before) query.set("before", before);
  const search = query.toString();
  return `/api/v1/audit-events${search ? `?${search}` : ""}`;
}

/** The audit log, newest first, a page (100 events) at a time: `fetchNextPage` loads older ones. */
export function useAuditEvents(filters: AuditFilters) {
  return useInfiniteQuery({
    queryKey: auditQueryKeys.events(filters),
    queryFn: ({ pageParam }) => apiFetch<AuditEventPage>(auditEventsPath(filters, pageParam)),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

/** Recomputes the hash chain on the server; on demand (a button), hence a mutation. */
export function useVerifyAuditChain() {
  return useMutation({
    mutationFn: () => apiFetch<AuditChainResult>("/api/v1/audit-events/verify"),
  });
}
