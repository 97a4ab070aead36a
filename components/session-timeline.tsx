"use client";

import { useMemo } from "react";
import type { SessionEventView } from "@/lib/recording/sessions";
import { MARK_COLORS, MARK_KINDS, MARK_LABELS, type MarkKind, marksOf } from "./session-events";
import { cx } from "./ui";

/** At most this many slots in the strip; a longer session shares slots (each shows its strongest mark). */
const MAX_SLOTS = 160;

interface Slot {
  from: number;
  to: number;
  mark: MarkKind | null;
  /** The event a click opens: the first with the slot's strongest mark, else the slot's first. */
  target: SessionEventView;
}

function buildSlots(events: SessionEventView[]): { slots: Slot[]; counts: Record<MarkKind, number> } {
  const counts: Record<MarkKind, number> = { deny: 0, error: 0, held: 0, masked: 0, call: 0 };
  const marks = events.map((event) => {
    const found = marksOf(event);
    for (const mark of found) counts[mark] += 1;
    return found[0] ?? null;
  });
  const size = Math.min(events.length, MAX_SLOTS);
  const slots: Slot[] = [];
  for (let slot = 0; slot < size; slot += 1) {
    const from = Math.floor((slot * events.length) / size);
    const to = Math.floor(((slot + 1) * events.length) / size);
    let best = -1;
    for (let index = from; index < to; index += 1) {
      const mark = marks[index];
      if (mark && (best < 0 || MARK_KINDS.indexOf(mark) < MARK_KINDS.indexOf(marks[best]!))) best = index;
    }
    slots.push({ from, to, mark: best >= 0 ? marks[best]! : null, target: events[best >= 0 ? best : from]! });
  }
  return { slots, counts };
}

/**
 * The whole session as a strip: one slot per event (or per run of events in a long session),
 * coloured by its strongest mark — denied, error, held call, masked values, call. Click a slot to
 * open its event; the legend's buttons filter the list to one kind of mark.
 */
export function SessionTimeline({
  events,
  currentSeq,
  onSelect,
  markFilter,
  onMarkFilter,
}: {
  events: SessionEventView[];
  currentSeq: number | null;
  onSelect: (seq: number) => void;
  markFilter: MarkKind | "";
  onMarkFilter: (mark: MarkKind | "") => void;
}) {
  const { slots, counts } = useMemo(() => buildSlots(events), [events]);
  if (events.length === 0) return null;
  const currentIndex = currentSeq === null ? -1 : events.findIndex((event) => event.seq === currentSeq);
  return (
    <div className="space-y-2">
      <nav className="flex h-8 items-stretch gap-px rounded-md bg-gray-100 p-1" aria-label="Timeline">
        {slots.map((slot) => {
          const current = currentIndex >= slot.from && currentIndex < slot.to;
          const first = events[slot.from]!;
          const span = slot.to - slot.from > 1 ? `#${first.seq}–#${events[slot.to - 1]!.seq}` : `#${first.seq}`;
          const label = slot.mark ? `${span}: ${MARK_LABELS[slot.mark].one} at #${slot.target.seq}` : span;
          return (
            <button
              key={slot.from}
              type="button"
              title={label}
              aria-label={label}
              aria-current={current ? "step" : undefined}
              data-testid={slot.mark ? "timeline-mark" : undefined}
              data-kind={slot.mark ?? undefined}
              data-seq={slot.target.seq}
              onClick={() => onSelect(slot.target.seq)}
              className={cx(
                "group relative flex min-w-0 flex-1 items-end justify-center rounded-[2px]",
                current ? "bg-indigo-100 ring-2 ring-indigo-500" : "hover:bg-gray-200",
              )}
            >
              <span
                className={cx(
                  "block w-full max-w-3 rounded-[2px]",
                  slot.mark ? MARK_COLORS[slot.mark] : "bg-gray-300",
                  slot.mark === null ? "h-1/4" : slot.mark === "call" ? "h-1/2" : "h-full",
                )}
              />
            </button>
          );
        })}
      </nav>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-gray-600">
        {MARK_KINDS.map((mark) => {
          const count = counts[mark];
          const active = markFilter === mark;
          return (
            <button
              key={mark}
              type="button"
              disabled={count === 0 && !active}
              aria-pressed={active}
              title={active ? "Show every message again" : `Show only ${MARK_LABELS[mark].filter.toLowerCase()}`}
              onClick={() => onMarkFilter(active ? "" : mark)}
              className={cx(
                "inline-flex items-center gap-1.5 rounded px-1.5 py-0.5 disabled:opacity-50",
                active ? "bg-gray-900 text-white" : "hover:bg-gray-100",
              )}
            >
              <span className={cx("h-2.5 w-2.5 rounded-[2px]", MARK_COLORS[mark])} aria-hidden="true" />
              <span className="tabular-nums">{count}</span> {count === 1 ? MARK_LABELS[mark].one : MARK_LABELS[mark].many}
            </button>
          );
        })}
      </div>
    </div>
  );
}
