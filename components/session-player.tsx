"use client";

import Link from "next/link";
import { type ReactNode, useEffect, useRef, useState } from "react";
import type { SessionEventView } from "@/lib/recording/sessions";
import { errorMessage } from "./api";
import { formatClock, formatDateTime, prettyJson } from "./format";
import { useSession, useSessionEvents, useSessionVerification } from "./hooks";
import { clientInfoLabel, StateBadge } from "./session-parts";
import { Alert, Badge, buttonClass, Card, cx, Empty, Loading, PageHeader, QueryState, type Tone } from "./ui";

/** "Recording verified ✓" or where the hash chain breaks, from GET /api/v1/sessions/{id}/verify. */
function VerifyBadge({ id, endedAt }: { id: string; endedAt: string | null }) {
  const check = useSessionVerification(id, endedAt);
  if (check.isPending) return <span className="text-xs text-gray-500">Checking…</span>;
  if (check.isError) return <span className="text-xs text-gray-500">Could not check</span>;
  const { firstBad, events, headChecked } = check.data;
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

const DIRECTIONS: Record<string, { label: string; tone: Tone; title: string }> = {
  CLIENT_TO_UPSTREAM: { label: "→ upstream", tone: "indigo", title: "client → upstream" },
  UPSTREAM_TO_CLIENT: { label: "← client", tone: "green", title: "upstream → client" },
  GATEWAY_TO_CLIENT: { label: "gateway", tone: "amber", title: "gateway → client (answered by the gateway)" },
  GATEWAY_TO_UPSTREAM: {
    label: "gateway → upstream",
    tone: "amber",
    title: "gateway → upstream (sent by the gateway, e.g. a cancellation)",
  },
};

function DirectionBadge({ direction }: { direction: string }) {
  const known = DIRECTIONS[direction] ?? { label: direction, tone: "gray" as Tone, title: direction };
  return (
    <Badge tone={known.tone} title={known.title} className="font-mono">
      {known.label}
    </Badge>
  );
}

function eventSummary(event: SessionEventView): string {
  if (event.tool && event.method) return `${event.method} · ${event.tool}`;
  return event.method ?? event.tool ?? (event.rpcId !== null ? `id ${event.rpcId}` : "");
}

export function SessionReplay({ id }: { id: string }) {
  const session = useSession(id);
  const events = useSessionEvents(id);
  const [selectedSeq, setSelectedSeq] = useState<number | null>(null);
  const rowRefs = useRef(new Map<number, HTMLLIElement>());

  const list = events.data ?? [];
  const index = list.length === 0 ? -1 : Math.max(0, selectedSeq === null ? 0 : list.findIndex((event) => event.seq === selectedSeq));
  const current = index >= 0 ? list[index] : undefined;

  useEffect(() => {
    if (current && selectedSeq !== null) rowRefs.current.get(current.seq)?.scrollIntoView({ block: "nearest" });
  }, [current, selectedSeq]);

  function step(delta: number) {
    const next = list[index + delta];
    if (next) setSelectedSeq(next.seq);
  }

  if (session.isPending) return <Loading label="Loading session…" />;
  if (session.isError) return <Alert>{errorMessage(session.error)}</Alert>;
  const view = session.data;
  const client = clientInfoLabel(view.clientInfo);

  return (
    <div className="space-y-4">
      <PageHeader title={`Session on ${view.connection.name}`} description={<span className="font-mono text-xs">{view.id}</span>}>
        <Link href="/sessions" className={buttonClass("secondary", "sm")}>
          All sessions
        </Link>
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
          <Meta label="Started">{formatDateTime(view.startedAt)}</Meta>
          <Meta label="Ended">
            <StateBadge session={view} />
          </Meta>
          <Meta label="End reason">{view.endReason ?? "—"}</Meta>
          <Meta label="Events">{list.length || view.eventCount}</Meta>
          <Meta label="Integrity">
            <VerifyBadge id={view.id} endedAt={view.endedAt} />
          </Meta>
        </dl>
      </Card>

      <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)]">
        <Card
          title="Messages"
          bodyClassName="p-0"
          actions={
            <div className="flex items-center gap-2">
              <span className="text-xs text-gray-500 tabular-nums" aria-live="polite">
                {list.length ? `Step ${index + 1} of ${list.length}` : ""}
              </span>
              <button type="button" className={buttonClass("secondary", "sm")} disabled={index <= 0} onClick={() => step(-1)}>
                Previous
              </button>
              <button
                type="button"
                className={buttonClass("secondary", "sm")}
                disabled={index < 0 || index >= list.length - 1}
                onClick={() => step(1)}
              >
                Next
              </button>
            </div>
          }
        >
          <QueryState
            query={events}
            loadingLabel="Loading messages…"
            empty={view.endedAt ? "This session recorded no messages." : "Waiting for the first message…"}
          >
            {(messages) => (
              <ol className="max-h-[70vh] divide-y divide-gray-100 overflow-y-auto">
                {messages.map((event, position) => {
                  const active = position === index;
                  return (
                    // biome-ignore lint/a11y/useKeyWithClickEvents: mouse shortcut; the Previous/Next buttons step by keyboard
                    <li
                      key={event.seq}
                      ref={(element) => {
                        if (element) rowRefs.current.set(event.seq, element);
                        else rowRefs.current.delete(event.seq);
                      }}
                      data-testid="session-event"
                      data-seq={event.seq}
                      aria-current={active ? "step" : undefined}
                      onClick={() => setSelectedSeq(event.seq)}
                      className={cx(
                        "cursor-pointer border-l-2 px-3 py-2",
                        active ? "border-indigo-500 bg-indigo-50" : "border-transparent hover:bg-gray-50",
                      )}
                    >
                      <div className="flex flex-wrap items-center gap-2">
                        <span className="w-8 text-right font-mono text-xs text-gray-500 tabular-nums">#{event.seq}</span>
                        <time dateTime={event.at} className="font-mono text-xs text-gray-600 tabular-nums">
                          {formatClock(event.at)}
                        </time>
                        <DirectionBadge direction={event.direction} />
                        <span className="text-xs text-gray-500">{event.kind}</span>
                        <span className="min-w-0 truncate font-mono text-xs font-medium text-gray-900">{eventSummary(event)}</span>
                      </div>
                      {/* biome-ignore lint/a11y/useKeyWithClickEvents: only stops the row's click; details toggles by keyboard itself */}
                      <details className="mt-1 ml-10" onClick={(click) => click.stopPropagation()}>
                        <summary className="cursor-pointer text-xs text-gray-500 select-none hover:text-gray-800">payload</summary>
                        <pre className="mt-1 max-h-72 overflow-auto rounded bg-gray-50 p-2 text-xs text-gray-800">
                          {prettyJson(event.payload)}
                        </pre>
                      </details>
                    </li>
                  );
                })}
              </ol>
            )}
          </QueryState>
        </Card>

        <Card title={current ? `Message #${current.seq}` : "Message"} className="lg:sticky lg:top-16">
          {current ? (
            <div data-testid="current-event" className="space-y-2">
              <div className="flex flex-wrap items-center gap-2">
                <DirectionBadge direction={current.direction} />
                <span className="text-xs text-gray-600">{current.kind}</span>
                <span className="font-mono text-xs font-medium">{eventSummary(current)}</span>
                <time dateTime={current.at} className="ml-auto font-mono text-xs text-gray-500">
                  {formatClock(current.at)}
                </time>
              </div>
              <pre className="max-h-[60vh] overflow-auto rounded-md bg-slate-900 p-3 text-xs leading-relaxed text-slate-100">
                {prettyJson(current.payload)}
              </pre>
            </div>
          ) : (
            <Empty>Select a message to see its payload.</Empty>
          )}
        </Card>
      </div>
    </div>
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
