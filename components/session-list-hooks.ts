"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useCallback, useMemo } from "react";
import { type SessionFilters, type SessionListPage, sessionFiltersSchema } from "@/lib/recording/session-filters";
import { apiFetch } from "./api";
import { LIVE_POLL_MS, queryKeys } from "./hooks";

/** The filters, in the order the URL and the filter bar show them. */
export const SESSION_FILTER_NAMES = [
  "q",
  "user",
  "connection",
  "tool",
  "decision",
  "status",
  "from",
  "to",
] as const satisfies ReadonlyArray<keyof SessionFilters>;
export type SessionFilterName = (typeof SESSION_FILTER_NAMES)[number];

/** The filters a query string spells; a value the API would refuse is left out (an old or edited link still opens). */
export function filtersFromQuery(params: Pick<URLSearchParams, "get">): SessionFilters {
  const filters: Record<string, string> = {};
  for (const name of SESSION_FILTER_NAMES) {
    const value = params.get(name);
    if (value === null) continue;
    const parsed = sessionFiltersSchema.shape[name].safeParse(value);
    if (parsed.success && parsed.data !== undefined) filters[name] = parsed.data;
  }
  return filters as SessionFilters;
}

/** The query string of a set of filters (and optionally a page cursor), without the leading "?". */
export function filtersToQuery(filters: SessionFilters, cursor?: string | null): string {
  const query = new URLSearchParams();
  for (const name of SESSION_FILTER_NAMES) {
    const value = filters[name];
    if (value) query.set(name, value);
  }
  if (cursor) query.set("cursor", cursor);
  return query.toString();
}

/**
 * The sessions list's filters, kept in the URL's query string: a link shares them, and the
 * browser's back button undoes a change. `setFilters` merges; an empty value removes a filter.
 */
export function useSessionFilters(): [SessionFilters, (change: Partial<Record<SessionFilterName, string | undefined>>) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const search = params.toString();
  const filters = useMemo(() => filtersFromQuery(new URLSearchParams(search)), [search]);
  const setFilters = useCallback(
    (change: Partial<Record<SessionFilterName, string | undefined>>) => {
      const next: Record<string, string | undefined> = { ...filters, ...change };
      for (const [name, value] of Object.entries(next)) if (!value) delete next[name];
      const query = filtersToQuery(next as SessionFilters);
      if (query === filtersToQuery(filters)) return;
      router.push(query ? `${pathname}?${query}` : pathname, { scroll: false });
    },
    [filters, pathname, router],
  );
  return [filters, setFilters];
}

/**
 * Sessions matching the filters, newest first, a page (50) at a time: `fetchNextPage` loads
 * older ones. Live: components/live-updates.tsx refetches every "sessions" query (so the loaded
 * pages) when a session starts or ends, from Postgres NOTIFY; polling is the fallback.
 */
export function useSessionPages(filters: SessionFilters) {
  return useInfiniteQuery({
    queryKey: [...queryKeys.sessions, "list", filters] as const,
    queryFn: ({ pageParam }) => apiFetch<SessionListPage>(`/api/v1/sessions?${filtersToQuery(filters, pageParam)}`),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    refetchInterval: LIVE_POLL_MS,
    placeholderData: (previous) => previous,
  });
}
