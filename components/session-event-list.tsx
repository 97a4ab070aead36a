"use client";

import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import type { SessionEventView } from "@/lib/recording/sessions";
import { decisionLabel, eventSummary, formatLatency, MARK_COLORS, maskedTotal, type Pairs, strongestMark } from "./session-events";
import { DirectionBadge } from "./session-parts";
import { Time } from "./time";
import { cx } from "./ui";

const ROW_HEIGHT = 56;

/**
 * The session's messages as a windowed list: only the rows in view (plus a few) are in the DOM,
 * so a 10,000-event session scrolls like a short one. `scrollRequest` scrolls the selected row
 * into view whenever it changes (selection, stepping, following the live tail).
 */
export function SessionEventList({
  events,
  currentSeq,
  pairs,
  byseq,
  onSelect,
  scrollRequest,
  onUserScroll,
}: {
  events: SessionEventView[];
  currentSeq: number | null;
  pairs: Pairs;
  byseq: Map<number, SessionEventView>;
  onSelect: (seq: number) => void;
  /** Bumped to scroll `currentSeq` into view. */
  scrollRequest: number;
  /** The person scrolled the list themselves (wheel, touch, keys, scrollbar). */
  onUserScroll: () => void;
}) {
  const parentRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: events.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (index) => events[index]?.seq ?? index,
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: scrolls on request only, not on every new event
  useEffect(() => {
    if (currentSeq === null) return;
    const index = events.findIndex((event) => event.seq === currentSeq);
    if (index >= 0) virtualizer.scrollToIndex(index, { align: "auto" });
  }, [scrollRequest]);

  return (
    <div
      ref={parentRef}
      data-testid="session-event-list"
      className="h-[55vh] min-h-72 overflow-y-auto overscroll-contain lg:h-[65vh]"
      onWheel={onUserScroll}
      onTouchMove={onUserScroll}
      onPointerDown={(pointer) => {
        // On the scrollbar (the list itself, not a row).
        if (pointer.target === pointer.currentTarget) onUserScroll();
      }}
    >
      <ol className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const event = events[item.index]!;
          const active = event.seq === currentSeq;
          const request = pairs.requestOf.get(event.seq);
          const requestEvent = request === undefined ? undefined : byseq.get(request);
          const mark = strongestMark(event);
          const masked = maskedTotal(event);
          const latency = event.latencyMs ?? null;
          return (
            <li
              key={item.key}
              data-testid="session-event"
              data-seq={event.seq}
              aria-current={active ? "step" : undefined}
              className="absolute top-0 left-0 w-full border-b border-gray-100"
              style={{ height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
            >
              <button
                type="button"
                onClick={() => onSelect(event.seq)}
                className={cx(
                  "flex h-full w-full min-w-0 flex-col justify-center gap-1 border-l-4 px-3 text-left",
                  active ? "border-indigo-500 bg-indigo-50" : "border-transparent hover:bg-gray-50",
                )}
              >
                <span className="flex w-full min-w-0 items-center gap-2">
                  <span className="w-12 shrink-0 font-mono text-xs text-gray-500 tabular-nums">#{event.seq}</span>
                  <Time iso={event.at} clock className="shrink-0 font-mono text-xs text-gray-600 tabular-nums" />
                  <DirectionBadge direction={event.direction} decision={event.decision} />
                  {mark && mark !== "call" && (
                    <span className={cx("h-2 w-2 shrink-0 rounded-full", MARK_COLORS[mark])} title={mark} aria-hidden="true" />
                  )}
                  {latency !== null && (
                    <span className="ml-auto shrink-0 font-mono text-xs text-gray-500 tabular-nums">{formatLatency(latency)}</span>
                  )}
                </span>
                <span className="flex w-full min-w-0 items-center gap-2 pl-14 text-xs">
                  <span className="shrink-0 text-gray-500">{event.kind}</span>
                  <span className="min-w-0 truncate font-mono font-medium text-gray-900">
                    {request !== undefined
                      ? `response to #${request}${requestEvent ? ` · ${eventSummary(requestEvent)}` : ""}`
                      : eventSummary(event)}
                  </span>
                  {event.decision && event.decision !== "allow" && (
                    <span className="shrink-0 rounded bg-gray-100 px-1 text-gray-700">{decisionLabel(event.decision)}</span>
                  )}
                  {masked > 0 && <span className="shrink-0 rounded bg-violet-100 px-1 text-violet-800">{masked} masked</span>}
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
