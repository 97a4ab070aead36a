"use client";

import Link from "next/link";
import { type ReactNode, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import type { SessionEventView } from "@/lib/recording/sessions";
import { errorMessage } from "./api";
import { useSession, useSessionVerification } from "./hooks";
import { JsonView } from "./json-view";
import { SessionEventList } from "./session-event-list";
import {
  decisionLabel,
  type EventFilter,
  eventSummary,
  formatLatency,
  isRequest,
  isResponse,
  latencyOf,
  MARK_KINDS,
  MARK_LABELS,
  type MarkKind,
  matchesFilter,
  type Pairs,
  pairEvents,
} from "./session-events";
import { ExportMenu } from "./session-export";
import { clientInfoLabel, DirectionBadge, StateBadge } from "./session-parts";
import { type LiveState, useSessionEventStream } from "./session-player-hooks";
import { SessionTimeline } from "./session-timeline";
import { Time, TimeZoneNote } from "./time";
import { Alert, Badge, buttonClass, Card, cx, Empty, Loading, PageHeader } from "./ui";

/** The toolbar's compact fields (the forms' inputClass is full width). */
const controlClass =
  "rounded-md border-0 bg-white px-2 py-1 text-xs text-gray-900 shadow-xs ring-1 ring-inset ring-gray-300 focus:ring-2 focus:ring-inset focus:ring-indigo-500";

/** "Recording verified ✓" or where the hash chain breaks, from GET /api/v1/sessions/{id}/verify. */
function VerifyBadge({ id, endedAt }: { id: string; endedAt: string | null }) {
  const check = useSessionVerification(id, endedAt);
  if (check.isPending) return <span className="text-xs text-gray-500">Checking…</span>;
  if (check.isError) return <span className="text-xs text-gray-500">Could not check</span>;
  const { firstBad, events, headChecked, purged } = check.data;
  if (purged) {
    const deleted = purged.summary ? `${purged.summary.events} events` : "The events";
    return purged.signatureValid && purged.headMatches ? (
      <Badge tone="gray" title={`${deleted} were deleted by retention on ${purged.at}; their signed summary checks out.`}>
        Purged · summary verified ✓
      </Badge>
    ) : (
      <Badge tone="red" title={purged.reason ?? "The purged session's signed summary does not check out."}>
        Purged · summary invalid
      </Badge>
    );
  }
  if (firstBad)
    return (
      <Badge tone="red" title={`The hash chain breaks at event #${firstBad.seq}: ${firstBad.problem}.`}>
        Recording {firstBad.problem === "missing" ? "missing" : "altered"} at #{firstBad.seq}
      </Badge>
    );
  return (
    <Badge
      tone="green"
      title={`${events} events match their hashes${headChecked ? " and the chain head stored when the session ended" : "; the session is still open"}.`}
    >
      Recording verified ✓
    </Badge>
  );
}

type Speed = "1" | "10" | "instant";
/** At 1× the recorded gap between two events is waited, but never longer than this. */
const MAX_STEP_MS = 2000;

/** The first index in `events` (sorted by seq) whose seq is greater than `seq`. */
function indexAfter(events: SessionEventView[], seq: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (events[middle]!.seq > seq) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** The seq a link names: `?seq=42` or `#e42`. */
function linkedSeq(): number | null {
  const fromQuery = new URLSearchParams(window.location.search).get("seq");
  const fromHash = /^#e(\d+)$/.exec(window.location.hash)?.[1];
  const value = Number(fromQuery ?? fromHash ?? Number.NaN);
  return Number.isInteger(value) && value > 0 ? value : null;
}

function LiveIndicator({ state, following, onFollow }: { state: LiveState; following: boolean; onFollow: () => void }) {
  const label = state === "live" ? "Live" : state === "polling" ? "Live (polling)" : "Connecting…";
  return (
    <div className="flex items-center gap-2">
      <Badge tone={state === "live" || state === "polling" ? "green" : "amber"} title="New messages appear as the gateway records them">
        <span data-testid="live-indicator" className="inline-flex items-center gap-1">
          <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-500" aria-hidden="true" />
          {label}
        </span>
      </Badge>
      {following ? (
        <span className="text-xs text-gray-500">Following the newest message</span>
      ) : (
        <button type="button" className={buttonClass("secondary", "sm")} onClick={onFollow}>
          Follow newest
        </button>
      )}
    </div>
  );
}

export function SessionReplay({ id }: { id: string }) {
  const session = useSession(id);
  const live = session.data ? session.data.endedAt === null : false;
  const stream = useSessionEventStream(id, live);
  const all = stream.events;

  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const [follow, setFollow] = useState(false);
  const [pendingSeq, setPendingSeq] = useState<number | null>(null);
  const [missingSeq, setMissingSeq] = useState<number | null>(null);
  const [scrollRequest, setScrollRequest] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState<Speed>("1");
  const [filter, setFilter] = useState<EventFilter>({ text: "", method: "", mark: "" });
  const filterText = useDeferredValue(filter.text);
  const decidedStart = useRef(false);

  // A link to an event (?seq=42 or #e42) opens there; an open session otherwise follows its newest event.
  useEffect(() => {
    setPendingSeq(linkedSeq());
    // A #e42 link followed within the page.
    const onHash = () => setPendingSeq(linkedSeq());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    if (decidedStart.current || !session.data) return;
    decidedStart.current = true;
    if (session.data.endedAt === null && linkedSeq() === null) setFollow(true);
  }, [session.data]);

  const pairs = useMemo<Pairs>(() => pairEvents(all), [all]);
  const byseq = useMemo(() => new Map(all.map((event) => [event.seq, event])), [all]);
  const methodOf = useCallback(
    (event: SessionEventView): string | null => {
      if (event.method) return event.method;
      const request = pairs.requestOf.get(event.seq);
      return request === undefined ? null : (byseq.get(request)?.method ?? null);
    },
    [pairs, byseq],
  );
  const methods = useMemo(() => [...new Set(all.map((event) => event.method).filter((m): m is string => m !== null))].sort(), [all]);
  const filtering = filterText.trim() !== "" || filter.method !== "" || filter.mark !== "";
  const visible = useMemo(
    () => (filtering ? all.filter((event) => matchesFilter(event, { ...filter, text: filterText }, methodOf)) : all),
    [all, filter, filterText, filtering, methodOf],
  );

  const newest = all.at(-1);
  const currentSeq = selectedSeq ?? (follow ? (newest?.seq ?? null) : (all[0]?.seq ?? null));
  const current = currentSeq === null ? undefined : byseq.get(currentSeq);

  // Following: the list stays at the newest event as events arrive.
  useEffect(() => {
    if (follow && selectedSeq === null && newest) setScrollRequest((value) => value + 1);
  }, [follow, selectedSeq, newest]);

  // The deep-linked event, once its page is loaded.
  useEffect(() => {
    if (pendingSeq === null) return;
    if (byseq.has(pendingSeq)) {
      setSelectedSeq(pendingSeq);
      setFollow(false);
      setPendingSeq(null);
      setScrollRequest((value) => value + 1);
    } else if (stream.complete) {
      setMissingSeq(pendingSeq);
      setPendingSeq(null);
    }
  }, [pendingSeq, byseq, stream.complete]);

  // The address names the selected event (debounced: holding an arrow key is many steps; not while playing).
  useEffect(() => {
    if (selectedSeq === null || playing) return;
    const timer = setTimeout(() => {
      const url = new URL(window.location.href);
      url.searchParams.set("seq", String(selectedSeq));
      url.hash = "";
      window.history.replaceState(window.history.state, "", url);
    }, 250);
    return () => clearTimeout(timer);
  }, [selectedSeq, playing]);

  const select = useCallback((seq: number, options: { scroll?: boolean } = {}) => {
    setSelectedSeq(seq);
    setFollow(false);
    setMissingSeq(null);
    if (options.scroll !== false) setScrollRequest((value) => value + 1);
  }, []);

  const step = useCallback(
    (delta: 1 | -1) => {
      if (visible.length === 0) return;
      let target: SessionEventView | undefined;
      if (currentSeq === null) target = delta > 0 ? visible[0] : visible.at(-1);
      else if (delta > 0) target = visible[indexAfter(visible, currentSeq)];
      else target = visible[indexAfter(visible, currentSeq - 1) - 1];
      if (target) select(target.seq);
    },
    [visible, currentSeq, select],
  );
  const jump = useCallback(
    (to: "first" | "last") => {
      const target = to === "first" ? visible[0] : visible.at(-1);
      if (target) select(target.seq);
    },
    [visible, select],
  );

  // ←/→ and j/k step, Home/End jump; not while typing in a field.
  const keys = useRef({ step, jump });
  keys.current = { step, jump };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      const target = event.target as HTMLElement | null;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      const action =
        event.key === "ArrowRight" || event.key === "j"
          ? () => keys.current.step(1)
          : event.key === "ArrowLeft" || event.key === "k"
            ? () => keys.current.step(-1)
            : event.key === "Home"
              ? () => keys.current.jump("first")
              : event.key === "End"
                ? () => keys.current.jump("last")
                : null;
      if (!action) return;
      event.preventDefault();
      action();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // Playback: the next visible event after the recorded gap (capped; ÷10 at 10×; none at instant).
  useEffect(() => {
    if (!playing) return;
    const from = currentSeq === null ? -1 : indexAfter(visible, currentSeq) - 1;
    const next = visible[from + 1];
    if (!next) {
      setPlaying(false);
      return;
    }
    const here = from >= 0 ? visible[from] : undefined;
    const gap = here ? Math.min(MAX_STEP_MS, Math.max(0, Date.parse(next.at) - Date.parse(here.at))) : 0;
    const delay = speed === "instant" ? 0 : speed === "10" ? gap / 10 : gap;
    const timer = setTimeout(() => {
      setSelectedSeq(next.seq);
      setFollow(false);
      setScrollRequest((value) => value + 1);
    }, delay);
    return () => clearTimeout(timer);
  }, [playing, currentSeq, visible, speed]);

  function togglePlay() {
    if (playing) {
      setPlaying(false);
      return;
    }
    // At the end: start again from the first event.
    if (currentSeq === null || indexAfter(visible, currentSeq) >= visible.length) {
      const first = visible[0];
      if (!first) return;
      select(first.seq);
    }
    setFollow(false);
    setPlaying(true);
  }

  const onUserScroll = useCallback(() => {
    if (!follow) return;
    setFollow(false);
    setSelectedSeq((selected) => selected ?? newest?.seq ?? null);
  }, [follow, newest]);

  if (session.isPending) return <Loading label="Loading session…" />;
  if (session.isError) return <Alert>{errorMessage(session.error)}</Alert>;
  const view = session.data;
  const client = clientInfoLabel(view.clientInfo);
  const position = currentSeq === null ? -1 : visible.findIndex((event) => event.seq === currentSeq);
  const atEnd = currentSeq !== null && indexAfter(visible, currentSeq) >= visible.length;
  const atStart = currentSeq !== null && indexAfter(visible, currentSeq - 1) === 0;

  return (
    <div className="min-w-0 space-y-4">
      <PageHeader title={`Session on ${view.connection.name}`} description={<span className="font-mono text-xs break-all">{view.id}</span>}>
        <div className="flex flex-wrap items-center gap-2">
          {live && (
            <LiveIndicator
              state={stream.live}
              following={follow && selectedSeq === null}
              onFollow={() => {
                setSelectedSeq(null);
                setFollow(true);
                setPlaying(false);
              }}
            />
          )}
          <ExportMenu sessionId={view.id} />
          <Link href="/sessions" className={buttonClass("secondary", "sm")}>
            All sessions
          </Link>
        </div>
      </PageHeader>

      <Card>
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3 md:grid-cols-4">
          <Meta label="User">{view.user.email}</Meta>
          <Meta label="Connection">
            {view.connection.name} <span className="font-mono text-xs text-gray-500">({view.connection.slug})</span>
          </Meta>
          <Meta label="Client">{client ?? "—"}</Meta>
          <Meta label="Transport / protocol">
            {view.transport} <span className="font-mono text-xs text-gray-500">{view.protocolVersion ?? ""}</span>
          </Meta>
          <Meta label="Started">
            <Time iso={view.startedAt} />
          </Meta>
          <Meta label="Ended">
            <StateBadge session={view} />
          </Meta>
          <Meta label="End reason">{view.endReason ?? "—"}</Meta>
          <Meta label="Events">
            <span data-testid="events-loaded" className="tabular-nums">
              {stream.complete || all.length >= view.eventCount
                ? Math.max(all.length, view.eventCount).toLocaleString("en")
                : `${all.length.toLocaleString("en")} of ${view.eventCount.toLocaleString("en")} loaded…`}
            </span>
          </Meta>
          <Meta label="Integrity">
            <VerifyBadge id={view.id} endedAt={view.endedAt} />
          </Meta>
        </dl>
      </Card>

      {stream.error && <Alert>Could not load every message: {errorMessage(stream.error)}</Alert>}
      {missingSeq !== null && <Alert>The link names message #{missingSeq}, which this recording does not have.</Alert>}

      <Card bodyClassName="space-y-3 p-4">
        <SessionTimeline
          events={all}
          currentSeq={currentSeq}
          onSelect={(seq) => select(seq)}
          markFilter={filter.mark}
          onMarkFilter={(mark) => setFilter((previous) => ({ ...previous, mark }))}
        />
        <div className="flex flex-wrap items-center gap-2">
          <button
            type="button"
            className={buttonClass("primary", "sm")}
            onClick={togglePlay}
            disabled={visible.length === 0}
            aria-pressed={playing}
          >
            {playing ? "❚❚ Pause" : "▶ Play"}
          </button>
          <label className="sr-only" htmlFor="replay-speed">
            Speed
          </label>
          <select id="replay-speed" value={speed} onChange={(change) => setSpeed(change.target.value as Speed)} className={controlClass}>
            <option value="1">1× (recorded gaps, ≤ 2 s)</option>
            <option value="10">10×</option>
            <option value="instant">Instant</option>
          </select>
          <button
            type="button"
            className={buttonClass("secondary", "sm")}
            disabled={atStart || visible.length === 0}
            onClick={() => step(-1)}
          >
            Previous
          </button>
          <button type="button" className={buttonClass("secondary", "sm")} disabled={atEnd || visible.length === 0} onClick={() => step(1)}>
            Next
          </button>
          <span className="text-xs text-gray-500 tabular-nums" aria-live="polite" data-testid="step-position">
            {visible.length ? `${position >= 0 ? `Step ${position + 1}` : "—"} of ${visible.length.toLocaleString("en")}` : ""}
          </span>
          <span className="ml-auto hidden text-xs text-gray-400 md:inline">
            <kbd>←</kbd> <kbd>→</kbd> or <kbd>j</kbd> <kbd>k</kbd> step · <kbd>Home</kbd> <kbd>End</kbd>
          </span>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <input
            type="search"
            aria-label="Filter messages"
            placeholder="Filter: text in payloads, tool, id, #seq…"
            value={filter.text}
            onChange={(change) => setFilter((previous) => ({ ...previous, text: change.target.value }))}
            className={cx(controlClass, "min-w-0 flex-1 basis-56 py-1.5 text-sm placeholder:text-gray-400")}
          />
          <select
            aria-label="Method"
            value={filter.method}
            onChange={(change) => setFilter((previous) => ({ ...previous, method: change.target.value }))}
            className={cx(controlClass, "max-w-full")}
          >
            <option value="">All methods</option>
            {methods.map((method) => (
              <option key={method} value={method}>
                {method}
              </option>
            ))}
          </select>
          <select
            aria-label="Show"
            value={filter.mark}
            onChange={(change) => setFilter((previous) => ({ ...previous, mark: change.target.value as MarkKind | "" }))}
            className={cx(controlClass, "max-w-full")}
          >
            <option value="">All messages</option>
            {MARK_KINDS.map((mark) => (
              <option key={mark} value={mark}>
                {MARK_LABELS[mark].filter}
              </option>
            ))}
          </select>
          {filtering && (
            <span className="text-xs text-gray-500" data-testid="filter-count">
              {visible.length.toLocaleString("en")} of {all.length.toLocaleString("en")} loaded messages match
              {stream.complete ? "" : " (still loading)"}
            </span>
          )}
        </div>
      </Card>

      <div className="grid min-w-0 items-start gap-4 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <Card
          title="Messages"
          bodyClassName="p-0"
          className="min-w-0"
          actions={
            <span className="text-xs text-gray-500">
              {stream.complete ? "" : "Loading more… "}
              <TimeZoneNote />
            </span>
          }
        >
          {!stream.ready ? (
            <Loading label="Loading messages…" />
          ) : all.length === 0 ? (
            <div className="p-4">
              <Empty>{view.endedAt ? "This session recorded no messages." : "Waiting for the first message…"}</Empty>
            </div>
          ) : visible.length === 0 ? (
            <div className="p-4">
              <Empty>No loaded message matches the filter.</Empty>
            </div>
          ) : (
            <SessionEventList
              events={visible}
              currentSeq={currentSeq}
              pairs={pairs}
              byseq={byseq}
              onSelect={(seq) => select(seq, { scroll: false })}
              scrollRequest={scrollRequest}
              onUserScroll={onUserScroll}
            />
          )}
        </Card>

        <div className="min-w-0 lg:sticky lg:top-16">
          {current ? (
            <EventDetail sessionId={view.id} event={current} pairs={pairs} byseq={byseq} live={live} onSelect={(seq) => select(seq)} />
          ) : (
            <Card title="Message">
              <Empty>{pendingSeq !== null ? `Opening message #${pendingSeq}…` : "Select a message to see its payload."}</Empty>
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}

function CopyLink({ sessionId, seq }: { sessionId: string; seq: number }) {
  const [copied, setCopied] = useState(false);
  const href = `/sessions/${encodeURIComponent(sessionId)}?seq=${seq}`;
  return (
    <span className="flex items-center gap-2">
      <a href={href} data-testid="event-link" className="text-xs text-indigo-700 underline hover:text-indigo-900">
        Link to #{seq}
      </a>
      <button
        type="button"
        className={buttonClass("secondary", "sm")}
        onClick={() => {
          const url = new URL(href, window.location.origin).toString();
          const done = () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 2000);
          };
          // The clipboard API needs a secure context (https or localhost).
          if (navigator.clipboard) navigator.clipboard.writeText(url).then(done, () => window.prompt("Copy this link:", url));
          else window.prompt("Copy this link:", url);
        }}
      >
        {copied ? "Copied ✓" : "Copy link"}
      </button>
    </span>
  );
}

function decisionTone(decision: string): "red" | "amber" | "green" | "gray" {
  if (decision === "deny" || decision === "denied") return "red";
  if (decision === "allow" || decision === "approved" || decision === "approved-for-session") return "green";
  return "amber";
}

function EventDetail({
  sessionId,
  event,
  pairs,
  byseq,
  live,
  onSelect,
}: {
  sessionId: string;
  event: SessionEventView;
  pairs: Pairs;
  byseq: Map<number, SessionEventView>;
  live: boolean;
  onSelect: (seq: number) => void;
}) {
  const requestSeq = isResponse(event) ? pairs.requestOf.get(event.seq) : isRequest(event) ? event.seq : undefined;
  const request = requestSeq === undefined ? undefined : byseq.get(requestSeq);
  const responseSeq = isResponse(event) ? event.seq : isRequest(event) ? pairs.responseOf.get(event.seq) : undefined;
  const response = responseSeq === undefined ? undefined : byseq.get(responseSeq);
  const paired = isRequest(event) || (isResponse(event) && requestSeq !== undefined);
  const masked = event.masked ? Object.entries(event.masked).filter(([, count]) => count > 0) : [];

  return (
    <Card
      title={
        <h2 className="text-sm font-semibold text-gray-900">
          Message #{event.seq}
          <span className="ml-2 font-mono text-xs font-medium text-gray-600">{eventSummary(request ?? event)}</span>
        </h2>
      }
      actions={<CopyLink sessionId={sessionId} seq={event.seq} />}
      className="min-w-0"
    >
      <div data-testid="current-event" data-seq={event.seq} className="min-w-0 space-y-3">
        <div className="flex flex-wrap items-center gap-2">
          <DirectionBadge direction={event.direction} decision={event.decision} />
          <span className="text-xs text-gray-600">{event.kind}</span>
          {[request, response].map((side) =>
            side?.decision ? (
              <Badge key={side.seq} tone={decisionTone(side.decision)} title={`Recorded decision on #${side.seq}: ${side.decision}`}>
                <span data-testid="event-decision">{decisionLabel(side.decision)}</span>
              </Badge>
            ) : null,
          )}
          {masked.length > 0 && (
            <Badge tone="violet" title="Values replaced before this message was stored and forwarded">
              <span data-testid="event-masked">masked {masked.map(([kind, count]) => `${kind} ×${count}`).join(", ")}</span>
            </Badge>
          )}
          <Time iso={event.at} clock className="ml-auto font-mono text-xs text-gray-500" />
        </div>
        {request?.decision === "require-approval" && (
          <HeldOutcome request={request} pairs={pairs} byseq={byseq} live={live} onSelect={onSelect} />
        )}
        {paired ? (
          <div className="grid min-w-0 items-start gap-3 xl:grid-cols-2">
            <PairSide
              side="Request"
              event={request}
              missing={`Request #${requestSeq ?? "?"} is not loaded.`}
              selected={request?.seq === event.seq}
              onSelect={onSelect}
            />
            <PairSide
              side="Response"
              event={response}
              request={request}
              missing={live ? "No response yet…" : "No response was recorded."}
              selected={response?.seq === event.seq}
              onSelect={onSelect}
            />
          </div>
        ) : (
          <JsonView key={event.seq} value={event.payload} label={`Message #${event.seq}`} className="max-h-[60vh]" />
        )}
      </div>
    </Card>
  );
}

/** How a held call ended, with a link to the event that recorded it. */
function HeldOutcome({
  request,
  pairs,
  byseq,
  live,
  onSelect,
}: {
  request: SessionEventView;
  pairs: Pairs;
  byseq: Map<number, SessionEventView>;
  live: boolean;
  onSelect: (seq: number) => void;
}) {
  const seq = pairs.outcomeOf.get(request.seq);
  const outcome = seq === undefined ? undefined : byseq.get(seq);
  return (
    <p data-testid="held-outcome" className="rounded-md bg-amber-50 px-3 py-2 text-xs text-amber-900 ring-1 ring-amber-200 ring-inset">
      Held for approval →{" "}
      {outcome?.decision ? (
        <>
          <strong>{decisionLabel(outcome.decision).replace(/^held · /, "")}</strong> at{" "}
          <button type="button" className="font-mono underline hover:text-amber-700" onClick={() => onSelect(outcome.seq)}>
            #{outcome.seq}
          </button>{" "}
          (<Time iso={outcome.at} clock />)
        </>
      ) : live ? (
        "waiting for a decision…"
      ) : (
        "no outcome was recorded."
      )}
    </p>
  );
}

function PairSide({
  side: role,
  event,
  request,
  missing,
  selected,
  onSelect,
}: {
  side: "Request" | "Response";
  event: SessionEventView | undefined;
  request?: SessionEventView;
  missing: string;
  selected: boolean;
  onSelect: (seq: number) => void;
}) {
  if (!event)
    return (
      <section aria-label={role} className="min-w-0 rounded-md border border-dashed border-gray-300 p-3">
        <h3 className="text-xs font-semibold text-gray-700">{role}</h3>
        <p className="mt-1 text-xs text-gray-500">{missing}</p>
      </section>
    );
  const latency = role === "Response" ? latencyOf(event, request) : null;
  return (
    <section
      aria-label={`${role} #${event.seq}`}
      data-testid={role === "Request" ? "pair-request" : "pair-response"}
      className={cx("min-w-0 rounded-md p-1", selected ? "bg-indigo-50 ring-2 ring-indigo-400" : "")}
    >
      <div className="mb-1 flex flex-wrap items-center gap-x-2 gap-y-1 px-1 text-xs">
        {selected ? (
          <span className="font-semibold text-gray-900">
            {role} #{event.seq}
          </span>
        ) : (
          <button
            type="button"
            className="font-semibold text-indigo-700 underline hover:text-indigo-900"
            onClick={() => onSelect(event.seq)}
          >
            {role} #{event.seq}
          </button>
        )}
        {role === "Response" && request && (
          <span data-testid="pair-latency" className="text-gray-600">
            response to #{request.seq}
            {latency !== null ? ` · ${formatLatency(latency)}` : ""}
          </span>
        )}
        <DirectionBadge direction={event.direction} decision={event.decision} />
        <Time iso={event.at} clock className="ml-auto font-mono text-gray-500" />
      </div>
      <JsonView key={event.seq} value={event.payload} label={`${role} #${event.seq}`} className="max-h-[60vh]" />
    </section>
  );
}

function Meta({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-medium text-gray-500">{label}</dt>
      <dd className="mt-0.5 truncate text-gray-900">{children}</dd>
    </div>
  );
}
