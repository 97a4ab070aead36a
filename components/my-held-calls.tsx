"use client";

import { useHeldCalls } from "./held-call-hooks";
import { HeldCallArguments, HeldCallOutcome, TimeLeft } from "./held-calls";
import { Age, useNow } from "./live";
import { Card } from "./ui";

/** How many of the caller's finished held calls My access lists. */
const RECENT_LIMIT = 5;

/**
 * My access: the caller's own tool calls held for approval (pending, with time left) and their
 * latest outcomes. Shows nothing for someone who never had a call held.
 */
export function MyHeldCalls() {
  const calls = useHeldCalls({ scope: "mine" });
  const now = useNow(1_000);
  if (!calls.data || calls.data.length === 0) return null;
  const pending = calls.data.filter((call) => call.status === "PENDING");
  const recent = calls.data.filter((call) => call.status !== "PENDING").slice(0, RECENT_LIMIT);
  const title =
    pending.length === 0
      ? "Your held tool calls"
      : pending.length === 1
        ? "A call of yours is waiting for approval"
        : `${pending.length} calls of yours are waiting for approval`;

  return (
    <Card
      title={title}
      aria-label="Your held tool calls"
      bodyClassName="p-0"
      className={pending.length > 0 ? "border-amber-300 ring-1 ring-amber-200" : undefined}
    >
      {pending.length > 0 ? (
        <ul className="divide-y divide-gray-200">
          {pending.map((call) => (
            <li key={call.id}>
              <article
                aria-label={`Your held call: ${call.tool ?? call.method}`}
                data-testid="my-held-call"
                className="space-y-2 px-4 py-3"
              >
                <div className="flex flex-wrap items-start gap-x-6 gap-y-2">
                  <div className="min-w-0">
                    <div className="font-mono font-medium wrap-anywhere text-gray-900">{call.tool ?? call.method}</div>
                    <div className="text-xs text-gray-500">
                      {call.method} · held <Age iso={call.createdAt} />
                    </div>
                  </div>
                  <div className="min-w-0">
                    <div className="font-medium text-gray-900">{call.connection.name}</div>
                    <div className="font-mono text-xs text-gray-500">{call.connection.slug}</div>
                  </div>
                  <div className="ml-auto text-right">
                    <TimeLeft deadline={call.deadline} now={now} className="text-lg" />
                    <div className="text-xs text-gray-500">left for an approver</div>
                  </div>
                </div>
                <p className="text-sm text-gray-600">
                  {call.rule.description ? <>Held by “{call.rule.description}”. </> : null}
                  Your client keeps waiting; it gets the result once an approver approves, or an error if they deny or nobody decides in
                  time.
                </p>
                <HeldCallArguments call={call} />
              </article>
            </li>
          ))}
        </ul>
      ) : null}
      {recent.length > 0 ? (
        <section aria-label="Recent outcomes" className={pending.length > 0 ? "border-t border-gray-200" : undefined}>
          <h3 className="px-4 pt-3 text-xs font-semibold tracking-wide text-gray-500 uppercase">Recent outcomes</h3>
          <ul className="divide-y divide-gray-200">
            {recent.map((call) => (
              <li key={call.id} className="px-4 py-2.5" data-testid="my-recent-held-call">
                <HeldCallOutcome call={call} />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </Card>
  );
}
