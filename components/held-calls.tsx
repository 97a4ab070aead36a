"use client";

import { useId } from "react";
import { useForm } from "react-hook-form";
import { decideHeldCallSchema } from "@/lib/held-calls/schema";
import { fieldMessage, schemaResolver, showServerError } from "./form";
import { prettyJson } from "./format";
import { type HeldCallView, useDecideHeldCall, useHeldCalls, useRefreshAfterDeadline } from "./held-call-hooks";
import { Age, useNow } from "./live";
import { describeTime } from "./time";
import { Alert, buttonClass, cx, FieldError, inputClass, labelClass, QueueCard, StatusBadge } from "./ui";

// Tool calls held at the gateway by a `require-approval` rule: the approvers' queue (Approvals)
// and the pieces My access shows the caller.

/** How many decided, expired, cancelled or abandoned calls the queue lists under "Recent". */
const RECENT_LIMIT = 8;

/** The approvers' "Held tool calls" section: pending calls to decide, live, and the latest outcomes. */
export function HeldCallsQueue({ viewerId }: { viewerId: string }) {
  const pending = useHeldCalls({ scope: "all", status: "PENDING" });
  const all = useHeldCalls({ scope: "all" });
  const recent = (all.data ?? []).filter((call) => call.status !== "PENDING").slice(0, RECENT_LIMIT);

  return (
    <QueueCard
      title="Held tool calls"
      query={pending}
      countLabel="waiting"
      empty="No tool call is waiting for a decision."
      item={(call) => <PendingHeldCall call={call} own={call.caller.id === viewerId} />}
    >
      {recent.length > 0 ? (
        <section aria-label="Recent held calls" className="border-t border-gray-200 bg-gray-50/60">
          <h3 className="px-4 pt-3 text-xs font-semibold tracking-wide text-gray-500 uppercase">Recent</h3>
          <ul className="divide-y divide-gray-200">
            {recent.map((call) => (
              <li key={call.id} className="px-4 py-2.5" data-testid="recent-held-call">
                <HeldCallOutcome call={call} showCaller />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </QueueCard>
  );
}

interface DecisionValues {
  comment: string;
  /** "Approve identical calls for the rest of this session": scope "session". */
  session: boolean;
}

// The comment (and scope) are checked by the schema the approve and deny routes parse with.
const decisionResolver = schemaResolver<DecisionValues, typeof decideHeldCallSchema>({
  schema: decideHeldCallSchema,
  toInput: (values) => ({ comment: values.comment, scope: values.session ? "session" : "call" }),
  toField: ({ path }) => (path === "comment" ? "comment" : path === "scope" ? "session" : null),
});

function PendingHeldCall({ call, own }: { call: HeldCallView; own: boolean }) {
  const id = useId();
  const decide = useDecideHeldCall();
  const now = useNow(1_000);
  useRefreshAfterDeadline(call.deadline);
  const overdue = new Date(call.deadline).getTime() <= now;
  const commentId = `${id}-comment`;
  const sessionId = `${id}-session`;
  const {
    register,
    handleSubmit,
    setError,
    formState: { errors },
  } = useForm({ resolver: decisionResolver, defaultValues: { comment: "", session: false } });
  const commentError = fieldMessage(errors.comment);
  const disabled = own || overdue || decide.isPending;
  const decideWith = (decision: "approve" | "deny") =>
    handleSubmit((body) =>
      decide.mutate(
        { id: call.id, decision, comment: body.comment, ...(decision === "approve" ? { scope: body.scope } : {}) },
        { onError: (error) => showServerError(error, setError, (field) => (field === "comment" ? "comment" : null)) },
      ),
    );
  const target = call.tool ?? call.method;

  return (
    <article aria-label={`Held call from ${call.caller.email}: ${target}`} data-testid="held-call" className="space-y-3 px-4 py-3">
      <div className="flex flex-wrap items-start gap-x-6 gap-y-2">
        <div className="min-w-0 sm:min-w-48">
          <div className="font-medium wrap-anywhere text-gray-900">{call.caller.email}</div>
          <div className="text-xs text-gray-500">
            held <Age iso={call.createdAt} />
          </div>
        </div>
        <div className="min-w-0 sm:min-w-40">
          <div className="font-medium text-gray-900">{call.connection.name}</div>
          <div className="font-mono text-xs text-gray-500">{call.connection.slug}</div>
        </div>
        <div className="min-w-0 sm:min-w-32">
          <div className="font-mono font-medium wrap-anywhere text-gray-900">{target}</div>
          <div className="font-mono text-xs text-gray-500">{call.method}</div>
        </div>
        <div className="ml-auto text-right">
          <TimeLeft deadline={call.deadline} now={now} className="text-lg" />
          <div className="text-xs text-gray-500">left to decide</div>
        </div>
      </div>

      <HeldByRule call={call} />
      <HeldCallArguments call={call} />

      <form className="space-y-2" onSubmit={decideWith("approve")} noValidate aria-label={`Decide on ${target} from ${call.caller.email}`}>
        <div className="flex flex-wrap items-end gap-2">
          <div className="min-w-0 flex-1 basis-64">
            <label htmlFor={commentId} className={labelClass}>
              Comment
            </label>
            <input
              id={commentId}
              type="text"
              {...register("comment", { disabled })}
              placeholder={own ? "" : "Optional — shown to the caller"}
              aria-invalid={commentError ? true : undefined}
              aria-describedby={commentError ? `${commentId}-error` : undefined}
              className={inputClass}
            />
          </div>
          <div className="flex gap-2">
            <button type="submit" className={buttonClass("primary")} disabled={disabled}>
              Approve
            </button>
            <button type="button" className={buttonClass("danger")} disabled={disabled} onClick={decideWith("deny")}>
              Deny
            </button>
          </div>
        </div>
        <FieldError id={`${commentId}-error`} message={commentError} />
        <div className="flex items-start gap-2">
          <input
            id={sessionId}
            type="checkbox"
            {...register("session", { disabled })}
            className="mt-0.5 size-4 shrink-0 rounded border-gray-300 text-indigo-600 focus:ring-indigo-500"
          />
          <label htmlFor={sessionId} className="text-sm text-gray-700">
            Approve identical calls for the rest of this session
            <span className="block text-xs text-gray-500">Same tool and same arguments, without holding them again. Approvals only.</span>
          </label>
        </div>
      </form>
      {own ? <p className="text-xs text-gray-500">You cannot approve or deny your own call</p> : null}
      {overdue && !own ? <p className="text-xs text-gray-500">The deadline has passed: the caller got a timeout error.</p> : null}
      {errors.root?.server ? <Alert>{errors.root.server.message}</Alert> : null}
    </article>
  );
}

/** mm:ss until the deadline (red in the last minute); "deadline passed" after it. */
export function TimeLeft({ deadline, now, className }: { deadline: string; now: number; className?: string }) {
  const remaining = new Date(deadline).getTime() - now;
  if (remaining <= 0) {
    return (
      <span data-testid="held-call-countdown" className={cx("font-mono text-gray-500", className)}>
        deadline passed
      </span>
    );
  }
  const total = Math.floor(remaining / 1000);
  const text = `${String(Math.floor(total / 60)).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  return (
    <span
      data-testid="held-call-countdown"
      title={`Deadline ${describeTime(deadline)}`}
      className={cx("font-mono tabular-nums", remaining < 60_000 ? "font-semibold text-red-700" : "text-gray-900", className)}
    >
      {text}
    </span>
  );
}

function HeldByRule({ call }: { call: HeldCallView }) {
  return (
    <p className="text-sm text-gray-700" data-testid="held-call-rule">
      <span className="text-gray-500">Held by rule </span>
      <span className="font-medium text-gray-900">{call.rule.description ?? "(no description)"}</span>{" "}
      <span className="text-xs whitespace-nowrap text-gray-500">
        <code className="font-mono">{call.rule.id}</code> · {call.rule.scope === "global" ? "global policy" : "connection policy"}
      </span>
    </p>
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What to show of the held params: a tool call's arguments, else the params; `_meta` left out (it is not part of the approval). */
function shownArguments(call: HeldCallView): { label: string; value: unknown } | null {
  const params = call.arguments;
  if (params === null || params === undefined) return null;
  if (!isRecord(params)) return { label: "Parameters", value: params };
  const { _meta: _ignored, ...rest } = params;
  if (call.method === "tools/call" && Object.hasOwn(rest, "arguments")) return { label: "Arguments", value: rest.arguments };
  return { label: "Parameters", value: rest };
}

/** The held arguments as pretty JSON, already masked by the API; wrapped, never wider than the screen. */
export function HeldCallArguments({ call, className }: { call: HeldCallView; className?: string }) {
  const shown = shownArguments(call);
  return (
    <figure aria-label="Arguments" className={cx("min-w-0", className)}>
      <figcaption className="mb-1 flex flex-wrap items-baseline gap-x-2 text-xs font-medium text-gray-700">
        {shown?.label ?? "Arguments"}
        <span className="font-normal text-gray-500" title={`SHA-256 of the canonical arguments: ${call.argumentsHash}`}>
          masked · SHA-256 <code className="font-mono">{call.argumentsHash.slice(0, 12)}…</code>
        </span>
      </figcaption>
      {shown ? (
        <pre
          data-testid="held-call-arguments"
          className="max-h-72 overflow-auto rounded-md border border-gray-200 bg-gray-50 p-2.5 font-mono text-xs leading-relaxed wrap-anywhere whitespace-pre-wrap text-gray-800"
        >
          {prettyJson(shown.value)}
        </pre>
      ) : (
        <p className="rounded-md border border-amber-200 bg-amber-50 px-2.5 py-2 text-xs text-amber-900">
          Not shown: the arguments could not be masked, so they are withheld.
        </p>
      )}
    </figure>
  );
}

const END_TEXT: Partial<Record<HeldCallView["status"], string>> = {
  EXPIRED: "nobody decided before the deadline",
  CANCELLED: "the call ended before a decision",
  ABANDONED: "the gateway holding it restarted",
};

/** One line about a finished held call: status, what, who decided (or why it ended), when, the comment. */
export function HeldCallOutcome({ call, showCaller = false }: { call: HeldCallView; showCaller?: boolean }) {
  const target = call.tool ?? call.method;
  const decided = call.status === "APPROVED" || call.status === "DENIED";
  return (
    <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
      <StatusBadge status={call.status} />
      <span className="min-w-0 wrap-anywhere">
        <code className="font-mono font-medium text-gray-900">{target}</code>{" "}
        <span className="text-gray-500">on {call.connection.name}</span>
        {showCaller ? <span className="text-gray-500"> · from {call.caller.email}</span> : null}
      </span>
      <span className="min-w-0 text-gray-600">
        {decided && call.decidedBy ? (
          <>
            {call.status === "APPROVED" ? "approved" : "denied"} by <span className="text-gray-900">{call.decidedBy.email}</span>
            {call.scope === "session" ? " for the rest of the session" : null}
          </>
        ) : (
          (call.endReason ?? END_TEXT[call.status] ?? call.status.toLowerCase())
        )}
        {call.decidedAt ? (
          <span className="text-xs text-gray-500">
            {" "}
            · <Age iso={call.decidedAt} />
          </span>
        ) : null}
      </span>
      {call.comment ? <p className="w-full break-words text-gray-700 italic">“{call.comment}”</p> : null}
    </div>
  );
}
