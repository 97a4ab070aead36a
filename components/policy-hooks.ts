"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
// Types only (erased from the bundle): the API's shapes come from the lib/ code that produces them.
import type { PolicySample } from "@/lib/policies/list-policy-samples";
import type { PolicyVersionView, PolicyView } from "@/lib/policies/present-policy";
import type { PolicyPreview } from "@/lib/policies/preview-policy";
import type { PreviewPolicyInput } from "@/lib/policies/schema";
import type { PolicyDocument } from "@/lib/policy/schema";
import { apiFetch } from "./api";

export type { PolicyPreview, PolicySample, PolicyVersionView, PolicyView };

/** null: the global policy; a slug: that connection's. */
export type PolicyScope = string | null;

/** The API path of a scope's policy: /api/v1/policy or /api/v1/connections/{slug}/policy. */
export function policyPath(scope: PolicyScope): string {
  return scope === null ? "/api/v1/policy" : `/api/v1/connections/${encodeURIComponent(scope)}/policy`;
}

export const policyKeys = {
  all: ["policies"] as const,
  policy: (scope: PolicyScope) => ["policies", scope ?? "(global)"] as const,
  versions: (scope: PolicyScope) => ["policies", scope ?? "(global)", "versions"] as const,
  samples: (slug: string) => ["policy-samples", slug] as const,
  preview: (input: PreviewPolicyInput) => ["policy-preview", input] as const,
};

export function usePolicy(scope: PolicyScope) {
  return useQuery({ queryKey: policyKeys.policy(scope), queryFn: () => apiFetch<PolicyView>(policyPath(scope)) });
}

export function usePolicyVersions(scope: PolicyScope) {
  return useQuery({
    queryKey: policyKeys.versions(scope),
    queryFn: () => apiFetch<PolicyVersionView[]>(`${policyPath(scope)}/versions`),
  });
}

/** Recent recorded messages of a connection (null: none asked for). */
export function usePolicySamples(slug: string | null) {
  return useQuery({
    queryKey: policyKeys.samples(slug ?? ""),
    queryFn: () => apiFetch<PolicySample[]>(`/api/v1/connections/${encodeURIComponent(slug ?? "")}/policy/samples`),
    enabled: slug !== null,
  });
}

export interface SavePolicyBody {
  document: PolicyDocument;
  baseVersion: number;
}

export function useSavePolicy(scope: PolicyScope) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ document, baseVersion }: SavePolicyBody) =>
      apiFetch<PolicyView>(policyPath(scope), { method: "PUT", json: { ...document, baseVersion } }),
    onSuccess: async (saved) => {
      client.setQueryData(policyKeys.policy(scope), saved);
      await client.invalidateQueries({ queryKey: policyKeys.versions(scope) });
    },
  });
}

export function useRestorePolicyVersion(scope: PolicyScope) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (version: number) => apiFetch<PolicyView>(`${policyPath(scope)}/versions/${version}/restore`, { method: "POST" }),
    onSuccess: async (saved) => {
      client.setQueryData(policyKeys.policy(scope), saved);
      await client.invalidateQueries({ queryKey: policyKeys.versions(scope) });
    },
  });
}

/** What the gateway would do with one message under a draft (null input: nothing to preview yet). */
export function usePolicyPreview(input: PreviewPolicyInput | null) {
  return useQuery({
    queryKey: policyKeys.preview(input ?? { message: {}, direction: "request" }),
    queryFn: ({ signal }) => apiFetch<PolicyPreview>("/api/v1/policy/preview", { method: "POST", json: input, signal }),
    enabled: input !== null,
    placeholderData: keepPreviousData,
    retry: false,
    staleTime: 60_000,
  });
}
