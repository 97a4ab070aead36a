"use client";

import { useInfiniteQuery, useMutation } from "@tanstack/react-query";
import type { z } from "zod";
import type { AuditEventPage } from "@/lib/audit/list-audit-events";
import { listAuditEventsQuerySchema } from "@/lib/audit/schema";
import type { AuditChainResult } from "@/lib/audit/verify-audit-chain";
import { apiFetch } from "./api";

/** The part of GET /api/v1/audit-events' query the filter form sets; "" (an empty input) means "any". */
export const auditFiltersSchema = listAuditEventsQuerySchema.pick({ action: true, targetType: true, targetId: true, actor: true });
/** The filters of the audit log, as the API parses them: a filter left out means "any". */
export type AuditFilters = z.output<typeof auditFiltersSchema>;
export const AUDIT_FILTER_NAMES = ["action", "targetType", "targetId", "actor"] as const satisfies ReadonlyArray<keyof AuditFilters>;

export const EMPTY_AUDIT_FILTERS: AuditFilters = {};

export const auditQueryKeys = {
  events: (filters?: AuditFilters) => (filters ? (["audit-events", filters] as const) : (["audit-events"] as const)),
};

function auditEventsPath(filters: AuditFilters, before: string | null): string {
  const query = new URLSearchParams();
  for (const name of AUDIT_FILTER_NAMES) {
    const value = filters[name];
    if (value) query.set(name, value);
  }
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
