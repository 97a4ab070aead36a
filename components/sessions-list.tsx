"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { can } from "@/lib/authz/permissions";
import { SESSION_STATUSES, type SessionFilters, type SessionListItem } from "@/lib/recording/session-filters";
import { errorMessage } from "./api";
import { useConnections, useDebounced, useMe } from "./hooks";
import { ExportMenu } from "./session-export";
import { SESSION_FILTER_NAMES, type SessionFilterName, useSessionFilters, useSessionPages } from "./session-list-hooks";
import { Time, TimeZoneNote } from "./time";
import { Alert, Badge, buttonClass, Card, cx, DataTable, Empty, inputClass, Loading, labelClass, PageHeader, tdClass } from "./ui";

// The sessions list: a filter bar whose state lives in the URL, "Load more" paging, rows that
// update live as sessions start and end, a table on wide screens and cards on phones.

/** Decisions the gateway records (policy decisions on requests, and how held calls ended). */
const DECISIONS = ["allow", "deny", "require-approval", "approved", "approved-for-session", "denied", "expired", "cancelled", "abandoned"];

const FILTER_LABELS: Record<SessionFilterName, string> = {
  q: "Text",
  user: "User",
  connection: "Connection",
  tool: "Tool",
  decision: "Decision",
  status: "Status",
  from: "Started from",
  to: "Started before",
};

/** An ISO instant as a datetime-local input's value (the viewer's local time, to the minute). */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local input's value (local time) as an ISO instant; "" stays "". */
function fromLocalInput(value: string): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
}

function filterValueLabel(name: SessionFilterName, value: string): string {
  if (name === "from" || name === "to") {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
  }
  return name === "q" ? `“${value}”` : value;
}

/** A text filter applied once typing pauses; follows the URL when it changes (back button, a link). */
function DebouncedText({
  id,
  label,
  value,
  onCommit,
  minLength = 1,
  placeholder,
  type = "text",
  hint,
}: {
  id: string;
  label: string;
  value: string | undefined;
  onCommit: (value: string) => void;
  minLength?: number;
  placeholder?: string;
  type?: "text" | "search";
  hint?: string;
}) {
  const [text, setText] = useState(value ?? "");
  const settled = useDebounced(text.trim());
  const tooShort = settled.length > 0 && settled.length < minLength;
  // Only a change of what was typed commits: the URL changing by itself (back button, a removed
  // filter) must not write back, so the effect reads the current value and callback from a ref.
  const latest = useRef({ value, onCommit });
  latest.current = { value, onCommit };
  useEffect(() => {
    const { value: current, onCommit: commit } = latest.current;
    if ((settled.length > 0 && settled.length < minLength) || settled === (current ?? "")) return;
    commit(settled);
  }, [settled, minLength]);
  useEffect(() => {
    setText((current) => (current.trim() === (value ?? "") ? current : (value ?? "")));
  }, [value]);
  return (
    <div className="min-w-0">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <input
        id={id}
        type={type}
        className={inputClass}
        value={text}
        placeholder={placeholder}
        autoComplete="off"
        spellCheck={false}
        onChange={(event) => setText(event.target.value)}
        aria-describedby={hint || tooShort ? `${id}-hint` : undefined}
      />
      {tooShort ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-amber-800">
          {`Type at least ${minLength} characters.`}
        </p>
      ) : hint ? (
        <p id={`${id}-hint`} className="mt-1 text-xs text-gray-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

function SelectFilter({
  id,
  label,
  value,
  options,
  onChange,
}: {
  id: string;
  label: string;
  value: string | undefined;
  options: Array<{ value: string; label: string }>;
  onChange: (value: string) => void;
}) {
  return (
    <div className="min-w-0">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <select id={id} className={inputClass} value={value ?? ""} onChange={(event) => onChange(event.target.value)}>
        <option value="">Any</option>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
        {value && !options.some((option) => option.value === value) ? <option value={value}>{value}</option> : null}
      </select>
    </div>
  );
}

function FilterBar({
  filters,
  setFilters,
  seesEveryone,
}: {
  filters: SessionFilters;
  setFilters: ReturnType<typeof useSessionFilters>[1];
  seesEveryone: boolean;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const connections = useConnections();
  const others = SESSION_FILTER_NAMES_EXCEPT_Q.filter((name) => filters[name]).length;
  return (
    <search aria-label="Filter sessions" className="flex flex-col gap-3 border-b border-gray-200 p-4">
      <div className="flex items-end gap-2">
        <div className="min-w-0 flex-1">
          <DebouncedText
            id={`${id}-q`}
            label="Search recorded messages"
            type="search"
            value={filters.q}
            minLength={3}
            placeholder="Text in any request or response, e.g. a file name"
            onCommit={(q) => setFilters({ q })}
          />
        </div>
        <button
          type="button"
          className={cx(buttonClass("secondary"), "shrink-0 sm:hidden")}
          aria-expanded={open}
          aria-controls={`${id}-more`}
          onClick={() => setOpen((value) => !value)}
        >
          {others ? `Filters (${others})` : "Filters"}
        </button>
      </div>
      <div id={`${id}-more`} className={cx(open ? "grid" : "hidden", "grid-cols-2 gap-3 sm:grid sm:grid-cols-3 lg:grid-cols-4")}>
        {seesEveryone ? (
          <DebouncedText
            id={`${id}-user`}
            label="User"
            value={filters.user}
            placeholder="email"
            onCommit={(user) => setFilters({ user })}
          />
        ) : null}
        <SelectFilter
          id={`${id}-connection`}
          label="Connection"
          value={filters.connection}
          options={(connections.data ?? []).map((connection) => ({ value: connection.slug, label: connection.name }))}
          onChange={(connection) => setFilters({ connection })}
        />
        <DebouncedText
          id={`${id}-tool`}
          label="Tool"
          value={filters.tool}
          placeholder="e.g. echo"
          onCommit={(tool) => setFilters({ tool })}
        />
        <SelectFilter
          id={`${id}-decision`}
          label="Decision"
          value={filters.decision}
          options={DECISIONS.map((decision) => ({ value: decision, label: decision }))}
          onChange={(decision) => setFilters({ decision })}
        />
        <SelectFilter
          id={`${id}-status`}
          label="Status"
          value={filters.status}
          options={SESSION_STATUSES.map((status) => ({ value: status, label: status }))}
          onChange={(status) => setFilters({ status })}
        />
        <DateFilter id={`${id}-from`} label="Started from" value={filters.from} onChange={(from) => setFilters({ from })} />
        <DateFilter id={`${id}-to`} label="Started before" value={filters.to} onChange={(to) => setFilters({ to })} />
      </div>
    </search>
  );
}

/** The filters behind the "Filters (n)" button on phones: all but the search box. */
const SESSION_FILTER_NAMES_EXCEPT_Q = SESSION_FILTER_NAMES.filter((name) => name !== "q");

function DateFilter({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string | undefined;
  onChange: (iso: string) => void;
}) {
  return (
    <div className="col-span-2 min-w-0 sm:col-span-1">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <input
        id={id}
        type="datetime-local"
        className={cx(inputClass, "min-w-0")}
        value={toLocalInput(value)}
        onChange={(event) => onChange(fromLocalInput(event.target.value))}
      />
    </div>
  );
}

/** The filters in force, each removable: what hides rows. */
function ActiveFilters({ filters, setFilters }: { filters: SessionFilters; setFilters: ReturnType<typeof useSessionFilters>[1] }) {
  const active = (Object.keys(FILTER_LABELS) as SessionFilterName[]).filter((name) => filters[name]);
  if (active.length === 0) return null;
  return (
    <ul className="flex flex-wrap items-center gap-1.5" aria-label="Filters in force">
      {active.map((name) => (
        <li key={name}>
          <span className="inline-flex max-w-full items-center gap-1 rounded-full bg-indigo-50 py-0.5 pr-1 pl-2 text-xs text-indigo-900 ring-1 ring-indigo-200 ring-inset">
            <span className="min-w-0 wrap-anywhere">
              {FILTER_LABELS[name]}: {filterValueLabel(name, filters[name]!)}
            </span>
            <button
              type="button"
              className="rounded-full px-1 text-indigo-700 hover:bg-indigo-100"
              aria-label={`Remove the ${FILTER_LABELS[name].toLowerCase()} filter`}
              onClick={() => setFilters({ [name]: undefined })}
            >
              ×
            </button>
          </span>
        </li>
      ))}
      {active.length > 1 ? (
        <li>
          <button
            type="button"
            className={buttonClass("ghost", "sm")}
            onClick={() => setFilters(Object.fromEntries(active.map((name) => [name, undefined])))}
          >
            Clear all
          </button>
        </li>
      ) : null}
    </ul>
  );
}

function SessionStatus({ session }: { session: SessionListItem }) {
  if (session.purgedAt) {
    return (
      <Badge tone="gray" title="Retention deleted this session's events; a signed summary is kept.">
        purged
      </Badge>
    );
  }
  if (!session.endedAt) {
    return (
      <Badge tone="green">
        <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-500" aria-hidden="true" />
        live
      </Badge>
    );
  }
  return <Time iso={session.endedAt} className="whitespace-nowrap" />;
}

function Matches({ session }: { session: SessionListItem }) {
  if (session.matches === undefined) return null;
  return <Badge tone="amber">{`${session.matches} ${session.matches === 1 ? "match" : "matches"}`}</Badge>;
}

function SessionTable({ sessions, seesEveryone, searching }: { sessions: SessionListItem[]; seesEveryone: boolean; searching: boolean }) {
  const router = useRouter();
  return (
    <DataTable
      className="hidden sm:block"
      headers={[
        ...(seesEveryone ? ["User"] : []),
        "Connection",
        "Transport",
        "Started",
        "Ended",
        "End reason",
        { label: "Events", className: "text-right" },
        ...(searching ? ["Found"] : []),
        { label: <span className="sr-only">Replay</span> },
      ]}
    >
      {sessions.map((session) => {
        const href = `/sessions/${session.id}`;
        return (
          <tr
            key={session.id}
            data-session-id={session.id}
            className="cursor-pointer hover:bg-indigo-50/40"
            onClick={(event) => {
              if ((event.target as HTMLElement).closest("a")) return;
              router.push(href);
            }}
          >
            {seesEveryone ? <td className={cx(tdClass, "break-words")}>{session.user.email}</td> : null}
            <td className={tdClass}>
              <div className="font-medium">{session.connection.name}</div>
              <div className="font-mono text-xs text-gray-500">{session.connection.slug}</div>
            </td>
            <td className={tdClass}>
              <div>{session.transport}</div>
              <div className="font-mono text-xs text-gray-500">{session.protocolVersion ?? ""}</div>
            </td>
            <td className={cx(tdClass, "whitespace-nowrap")}>
              <Time iso={session.startedAt} />
            </td>
            <td className={tdClass}>
              <SessionStatus session={session} />
            </td>
            <td className={tdClass}>{session.endReason ?? ""}</td>
            <td className={cx(tdClass, "text-right tabular-nums")}>{session.eventCount}</td>
            {searching ? (
              <td className={tdClass}>
                <Matches session={session} />
              </td>
            ) : null}
            <td className={cx(tdClass, "text-right")}>
              <Link href={href} className="font-medium text-indigo-700 hover:underline">
                Replay
              </Link>
            </td>
          </tr>
        );
      })}
    </DataTable>
  );
}

/** Phones: one card per session, the whole card a link to its replay. */
function SessionCards({ sessions, seesEveryone }: { sessions: SessionListItem[]; seesEveryone: boolean }) {
  return (
    <ul className="divide-y divide-gray-200 sm:hidden">
      {sessions.map((session) => (
        <li key={session.id} data-session-id={session.id}>
          <Link href={`/sessions/${session.id}`} className="block min-w-0 space-y-1 px-4 py-3 hover:bg-indigo-50/40">
            <div className="flex items-start justify-between gap-2">
              <div className="min-w-0">
                <div className="truncate font-medium text-gray-900">{session.connection.name}</div>
                {seesEveryone ? <div className="text-sm wrap-anywhere text-gray-600">{session.user.email}</div> : null}
              </div>
              <div className="shrink-0">
                {session.purgedAt || !session.endedAt ? <SessionStatus session={session} /> : <Badge tone="gray">ended</Badge>}
              </div>
            </div>
            <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-gray-600">
              <span className="whitespace-nowrap">
                Started <Time iso={session.startedAt} />
              </span>
              {session.endedAt ? (
                <span className="whitespace-nowrap">
                  Ended <Time iso={session.endedAt} />
                </span>
              ) : null}
              <span className="tabular-nums">{`${session.eventCount} ${session.eventCount === 1 ? "event" : "events"}`}</span>
              <span>{session.transport}</span>
              <Matches session={session} />
            </div>
            {session.endReason ? <div className="text-xs wrap-anywhere text-gray-500">{session.endReason}</div> : null}
          </Link>
        </li>
      ))}
    </ul>
  );
}

function EmptyState({
  filters,
  setFilters,
  seesEveryone,
}: {
  filters: SessionFilters;
  setFilters: ReturnType<typeof useSessionFilters>[1];
  seesEveryone: boolean;
}): ReactNode {
  const active = (Object.keys(FILTER_LABELS) as SessionFilterName[]).filter((name) => filters[name]);
  if (active.length === 0) {
    return <Empty>{seesEveryone ? "No sessions recorded yet." : "You have no recorded sessions yet."}</Empty>;
  }
  return (
    <div className="space-y-2 px-4 py-6 text-center text-sm text-gray-600" data-testid="sessions-empty">
      <p>
        {`No ${seesEveryone ? "" : "of your "}sessions match `}
        {active.map((name, index) => (
          <span key={name}>
            {index > 0 ? (index === active.length - 1 ? " and " : ", ") : ""}
            <strong className="font-medium wrap-anywhere text-gray-900">{`${FILTER_LABELS[name].toLowerCase()} ${filterValueLabel(name, filters[name]!)}`}</strong>
          </span>
        ))}
        .
      </p>
      <button
        type="button"
        className={buttonClass("secondary", "sm")}
        onClick={() => setFilters(Object.fromEntries(active.map((name) => [name, undefined])))}
      >
        {active.length === 1 ? `Remove the ${FILTER_LABELS[active[0]!].toLowerCase()} filter` : "Clear all filters"}
      </button>
    </div>
  );
}

export function SessionsList() {
  const [filters, setFilters] = useSessionFilters();
  const pages = useSessionPages(filters);
  const me = useMe();
  const seesEveryone = me.data ? can(me.data.user, "sessions:read:all") : false;
  const sessions = pages.data?.pages.flatMap((page) => page.sessions) ?? [];
  return (
    <div className="min-w-0">
      <PageHeader
        title="Sessions"
        description={
          seesEveryone
            ? "Every MCP session through the gateway, recorded message by message."
            : "Your MCP sessions through the gateway, recorded message by message."
        }
      >
        <ExportMenu filters={filters} />
      </PageHeader>
      <Card bodyClassName="p-0">
        <FilterBar filters={filters} setFilters={setFilters} seesEveryone={seesEveryone} />
        <div className="flex flex-wrap items-center justify-between gap-2 px-4 py-2">
          <ActiveFilters filters={filters} setFilters={setFilters} />
          <span className="ml-auto flex items-center gap-3 text-xs text-gray-500">
            <span aria-live="polite" data-testid="sessions-count">
              {pages.data ? `${sessions.length}${pages.hasNextPage ? "+" : ""} ${sessions.length === 1 ? "session" : "sessions"}` : ""}
            </span>
            <TimeZoneNote />
          </span>
        </div>
        <div
          aria-busy={pages.isFetching}
          className={cx("border-t border-gray-200 transition-opacity", pages.isPlaceholderData && "opacity-60")}
        >
          {pages.isPending ? (
            <Loading label="Loading sessions…" />
          ) : pages.isError && !pages.data ? (
            <div className="p-4">
              <Alert>{errorMessage(pages.error)}</Alert>
            </div>
          ) : sessions.length === 0 ? (
            <EmptyState filters={filters} setFilters={setFilters} seesEveryone={seesEveryone} />
          ) : (
            <>
              <SessionTable sessions={sessions} seesEveryone={seesEveryone} searching={Boolean(filters.q)} />
              <SessionCards sessions={sessions} seesEveryone={seesEveryone} />
            </>
          )}
        </div>
        {pages.hasNextPage ? (
          <div className="border-t border-gray-200 p-3 text-center">
            <button
              type="button"
              className={buttonClass("secondary")}
              disabled={pages.isFetchingNextPage}
              onClick={() => void pages.fetchNextPage()}
            >
              {pages.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          </div>
        ) : null}
        {pages.isError && pages.data ? (
          <div className="p-3">
            <Alert>{errorMessage(pages.error)}</Alert>
          </div>
        ) : null}
      </Card>
    </div>
  );
}
