"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
// A value, but a constant in a module without server code.
import { SESSION_EVENTS_PAGE } from "@/lib/recording/limits";
import type { SessionEventView } from "@/lib/recording/sessions";
import { apiFetch } from "./api";
import { queryKeys, SESSION_POLL_MS } from "./hooks";

/** Where the live tail stands: off (ended session), connecting, live (stream open), or polling (the stream failed). */
export type LiveState = "off" | "connecting" | "live" | "polling";

export interface SessionEventsState {
  /** Loaded events in seq order; grows page by page, then by the live tail. */
  events: SessionEventView[];
  /** The first page is in (the player can show something). */
  ready: boolean;
  /** Every page of the history is loaded. */
  complete: boolean;
  error: Error | null;
  live: LiveState;
}

const INITIAL: SessionEventsState = { events: [], ready: false, complete: false, error: null, live: "off" };

/**
 * A session's events, loaded progressively: the first page (SESSION_EVENTS_PAGE events) shows at
 * once and the next pages are appended one by one (`?after=<last seq>`). While the session is
 * open (`live`), once the history is in, new events arrive over the live tail
 * (GET /api/v1/sessions/{id}/stream, server-sent events); when the session ends the stream says
 * so and the session query is refetched. If the stream cannot be opened, the events are polled.
 */
export function useSessionEventStream(id: string, live: boolean): SessionEventsState {
  const client = useQueryClient();
  const [state, setState] = useState<SessionEventsState>(INITIAL);
  const eventsRef = useRef<SessionEventView[]>([]);

  const append = useCallback((batch: SessionEventView[]) => {
    const after = eventsRef.current.at(-1)?.seq ?? 0;
    const fresh = batch.filter((event) => event.seq > after).sort((a, b) => a.seq - b.seq);
    if (fresh.length === 0) return;
    eventsRef.current = eventsRef.current.concat(fresh);
    const events = eventsRef.current;
    setState((previous) => ({ ...previous, events }));
  }, []);

  const fetchAfter = useCallback(
    (after: number) => apiFetch<SessionEventView[]>(`/api/v1/sessions/${encodeURIComponent(id)}/events?after=${after}`),
    [id],
  );

  // The history, page by page.
  useEffect(() => {
    let cancelled = false;
    eventsRef.current = [];
    setState(INITIAL);
    void (async () => {
      try {
        for (;;) {
          const batch = await fetchAfter(eventsRef.current.at(-1)?.seq ?? 0);
          if (cancelled) return;
          append(batch);
          setState((previous) => (previous.ready ? previous : { ...previous, ready: true }));
          if (batch.length < SESSION_EVENTS_PAGE) break;
        }
        setState((previous) => ({ ...previous, complete: true }));
      } catch (error) {
        if (!cancelled) setState((previous) => ({ ...previous, ready: true, error: error as Error }));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [fetchAfter, append]);

  // The live tail, from the newest loaded event on.
  const complete = state.complete;
  useEffect(() => {
    if (!live || !complete || typeof EventSource === "undefined") return;
    const setLive = (value: LiveState) => setState((previous) => (previous.live === value ? previous : { ...previous, live: value }));
    const refreshSession = () => void client.invalidateQueries({ queryKey: queryKeys.session(id) });
    let buffer: SessionEventView[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    let poll: ReturnType<typeof setInterval> | undefined;
    const flush = () => {
      flushTimer = undefined;
      const batch = buffer;
      buffer = [];
      append(batch);
    };

    const source = new EventSource(`/api/v1/sessions/${encodeURIComponent(id)}/stream?after=${eventsRef.current.at(-1)?.seq ?? 0}`);
    setLive("connecting");
    source.addEventListener("open", () => setLive("live"));
    source.addEventListener("event", (message) => {
      buffer.push(JSON.parse((message as MessageEvent<string>).data) as SessionEventView);
      // A burst of events becomes one render.
      flushTimer ??= setTimeout(flush, 16);
    });
    source.addEventListener("ended", () => {
      source.close();
      flush();
      setLive("off");
      refreshSession();
    });
    source.addEventListener("gone", () => {
      source.close();
      setLive("off");
      refreshSession();
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) {
        setLive("connecting");
        return;
      }
      // The stream was refused (e.g. a proxy without streaming): fall back to polling.
      setLive("polling");
      poll ??= setInterval(() => {
        void fetchAfter(eventsRef.current.at(-1)?.seq ?? 0)
          .then(append)
          .catch(() => undefined);
        refreshSession();
      }, SESSION_POLL_MS);
    });
    return () => {
      source.close();
      if (flushTimer) clearTimeout(flushTimer);
      if (poll) clearInterval(poll);
      setLive("off");
    };
  }, [id, live, complete, client, append, fetchAfter]);

  // The session ended (seen by the session query's poll, perhaps before the stream's last events):
  // read whatever is left after the newest event held.
  const wasLive = useRef(live);
  useEffect(() => {
    const ended = wasLive.current && !live;
    wasLive.current = live;
    if (!ended || !complete) return;
    let cancelled = false;
    void (async () => {
      for (;;) {
        const batch = await fetchAfter(eventsRef.current.at(-1)?.seq ?? 0);
        if (cancelled) return;
        append(batch);
        if (batch.length < SESSION_EVENTS_PAGE) return;
      }
    })().catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [live, complete, fetchAfter, append]);

  return state;
}
