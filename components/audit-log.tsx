"use client";

import type { InfiniteData } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import type { AuditEventPage, AuditEventView } from "@/lib/audit/list-audit-events";
import { errorMessage } from "./api";
import {
  AUDIT_FILTER_NAMES,
  type AuditFilters,
  auditFiltersSchema,
  EMPTY_AUDIT_FILTERS,
  useAuditEvents,
  useVerifyAuditChain,
} from "./audit-hooks";
import { fieldMessage, schemaResolver } from "./form";
import { prettyJson } from "./format";
import { Time, TimeZoneNote } from "./time";
import { Alert, buttonClass, Card, DataTable, Field, PageHeader, QueryState, tdClass } from "./ui";

type FilterName = (typeof AUDIT_FILTER_NAMES)[number];
/** What the filter inputs hold: "" for "any". */
type FilterValues = Record<FilterName, string>;

const FILTER_FIELDS: Array<{ key: FilterName; label: string; placeholder: string }> = [
  { key: "action", label: "Action", placeholder: "grant. or grant.created" },
  { key: "targetType", label: "Target type", placeholder: "Grant" },
  { key: "targetId", label: "Target id", placeholder: "exact id" },
  { key: "actor", label: "Actor email", placeholder: "alice@example.com" },
];

function sameFilters(a: AuditFilters, b: AuditFilters): boolean {
  return AUDIT_FILTER_NAMES.every((key) => a[key] === b[key]);
}

const filterResolver = schemaResolver({
  schema: auditFiltersSchema,
  toInput: (values: FilterValues) => values,
  toField: ({ path }) => AUDIT_FILTER_NAMES.find((name) => name === path) ?? null,
});

function filterValues(filters: AuditFilters): FilterValues {
  return {
    action: filters.action ?? "",
    targetType: filters.targetType ?? "",
    targetId: filters.targetId ?? "",
    actor: filters.actor ?? "",
  };
}

function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

function compactJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function isEmptyData(value: unknown): boolean {
  return value === null || (typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);
}

function VerifyChain() {
  const verify = useVerifyAuditChain();
  let banner = null;
  if (verify.isError) {
    banner = <Alert>{`Could not verify the chain: ${errorMessage(verify.error)}`}</Alert>;
  } else if (verify.data) {
    const result = verify.data;
    banner = result.ok ? (
      <Alert tone="green">{`Chain intact: ${result.events} events verified`}</Alert>
    ) : (
      <Alert>{`Chain broken at event #${result.brokenAt}: ${result.reason}`}</Alert>
    );
  }
  return (
    <div className="flex flex-col items-end gap-2">
      <button type="button" className={buttonClass("secondary")} disabled={verify.isPending} onClick={() => verify.mutate()}>
        {verify.isPending ? "Verifying…" : "Verify chain"}
      </button>
      {banner ? (
        <div data-testid="audit-verify-result" aria-live="polite">
          {banner}
        </div>
      ) : null}
    </div>
  );
}

/** The filters, checked by the schema the audit-events route parses its query with (lengths), before a search. */
function FilterBar({ applied, onApply }: { applied: AuditFilters; onApply: (filters: AuditFilters) => void }) {
  const {
    register,
    handleSubmit,
    reset,
    formState: { errors },
  } = useForm({ resolver: filterResolver, defaultValues: filterValues(applied) });
  const active = AUDIT_FILTER_NAMES.some((key) => applied[key] !== undefined);

  return (
    <search aria-label="Filter the audit log">
      <form onSubmit={handleSubmit(onApply)} className="flex flex-wrap items-end gap-3" noValidate>
        {FILTER_FIELDS.map(({ key, label, placeholder }) => (
          <Field key={key} id={`audit-filter-${key}`} label={label} error={fieldMessage(errors[key])} className="w-48 grow">
            {(control) => (
              <input {...control} {...register(key)} type="text" autoComplete="off" spellCheck={false} placeholder={placeholder} />
            )}
          </Field>
        ))}
        <div className="flex gap-2">
          <button type="submit" className={buttonClass("primary")}>
            Apply
          </button>
          {active ? (
            <button
              type="button"
              className={buttonClass("ghost")}
              onClick={() => {
                reset(filterValues(EMPTY_AUDIT_FILTERS));
                onApply(EMPTY_AUDIT_FILTERS);
              }}
            >
              Clear
            </button>
          ) : null}
        </div>
      </form>
    </search>
  );
}

function AuditRow({ event }: { event: AuditEventView }) {
  const compact = compactJson(event.data);
  return (
    <tr data-testid="audit-event" data-id={event.id}>
      <td className={`${tdClass} whitespace-nowrap`}>
        <Time iso={event.at} precise className="font-mono text-xs tabular-nums" />
        <div className="font-mono text-xs text-gray-400">#{event.id}</div>
      </td>
      <td className={tdClass}>{event.actorEmail ?? <span className="text-gray-500 italic">system</span>}</td>
      <td className={`${tdClass} font-mono text-xs font-medium whitespace-nowrap text-gray-900`}>{event.action}</td>
      <td className={`${tdClass} whitespace-nowrap`}>
        <div>{event.targetType}</div>
        <div className="font-mono text-xs text-gray-500" title={event.targetId}>
          {shortId(event.targetId)}
        </div>
      </td>
      <td className={`${tdClass} max-w-md`}>
        {isEmptyData(event.data) ? (
          <span className="text-gray-400">—</span>
        ) : (
          <details>
            <summary className="cursor-pointer truncate font-mono text-xs text-gray-700 hover:text-gray-900" title="Show all details">
              {compact}
            </summary>
            <pre className="mt-1 max-h-72 overflow-auto rounded bg-gray-50 p-2 text-xs wrap-anywhere whitespace-pre-wrap text-gray-800">
              {prettyJson(event.data)}
            </pre>
          </details>
        )}
      </td>
      <td className={`${tdClass} font-mono text-xs text-gray-600`} title={`hash ${event.hash}\nprevious ${event.prevHash}`}>
        {event.hash.slice(0, 12)}
      </td>
    </tr>
  );
}

export function AuditLog() {
  const [filters, setFilters] = useState<AuditFilters>(EMPTY_AUDIT_FILTERS);
  const events = useAuditEvents(filters);
  const loaded = events.data?.pages.reduce((count, page) => count + page.events.length, 0) ?? 0;

  function table(data: InfiniteData<AuditEventPage>) {
    return (
      <>
        <DataTable headers={["Time", "Actor", "Action", "Target", "Details", "Hash"]}>
          {data.pages
            .flatMap((page) => page.events)
            .map((event) => (
              <AuditRow key={event.id} event={event} />
            ))}
        </DataTable>
        {events.isError ? (
          <div className="px-4 pt-3">
            <Alert>{errorMessage(events.error)}</Alert>
          </div>
        ) : null}
        {events.hasNextPage ? (
          <div className="flex justify-center border-t border-gray-100 p-3">
            <button
              type="button"
              className={buttonClass("secondary", "sm")}
              disabled={events.isFetchingNextPage}
              onClick={() => void events.fetchNextPage()}
            >
              {events.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          </div>
        ) : null}
      </>
    );
  }

  function apply(next: AuditFilters) {
    if (sameFilters(next, filters)) void events.refetch();
    else setFilters({ ...next });
  }

  return (
    <div className="space-y-4">
      <PageHeader
        title="Audit log"
        description="Every change in Tollgate, newest first. Each event is chained to the one before it by its SHA-256 hash."
      >
        <VerifyChain />
      </PageHeader>

      <Card>
        <FilterBar applied={filters} onApply={apply} />
      </Card>

      <Card
        bodyClassName="p-0"
        title="Events"
        actions={
          <span className="flex flex-wrap justify-end gap-x-3 text-xs text-gray-500">
            <TimeZoneNote />
            {events.data ? (
              <span className="tabular-nums" aria-live="polite">
                {`${loaded} shown${events.hasNextPage ? ", more available" : ""}`}
              </span>
            ) : null}
          </span>
        }
      >
        {/* A failed "Load more" or refresh keeps the events already shown (QueryState would replace them). */}
        {events.data && events.isError ? (
          table(events.data)
        ) : (
          <QueryState
            query={events}
            empty="No audit events match these filters."
            isEmpty={(data) => data.pages.every((page) => page.events.length === 0)}
          >
            {table}
          </QueryState>
        )}
      </Card>
    </div>
  );
}
