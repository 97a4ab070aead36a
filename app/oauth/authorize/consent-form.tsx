"use client";

import { useEffect, useState } from "react";
import { Alert, buttonClass, Card, Field } from "@/components/ui";

// The consent page's controls. With a grant: approve or deny. Without: the access request form
// (minutes, reason) — filing it leads to the waiting page, which completes the authorization once
// an approver decides.

type Answer = { next?: string; error?: { message: string; field?: string } };

async function post(body: Record<string, unknown>): Promise<Answer> {
  const response = await fetch("/oauth/authorize/decide", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await response.json().catch(() => ({ error: { message: `HTTP ${response.status}` } }))) as {
    next?: string;
    error?: { message: string; field?: string };
  };
}

export function formatUntil(iso: string): string {
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZoneName: "short",
  });
}

export function ConsentForm({
  authorizationId,
  clientName,
  connection,
  grantExpiresAt,
  canRequest,
}: {
  authorizationId: string;
  clientName: string;
  connection: { name: string; maxMinutes: number };
  grantExpiresAt: string | null;
  canRequest: boolean;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [minutes, setMinutes] = useState(String(Math.min(60, connection.maxMinutes)));
  const [reason, setReason] = useState("");
  // Clickjacking: a page that frames this one could trick a click on Approve. Framed, nothing is clickable.
  const [frame, setFrame] = useState<"unknown" | "top" | "framed">("unknown");
  useEffect(() => setFrame(window.top === window.self ? "top" : "framed"), []);
  const framed = frame !== "top";

  const submit = async (body: Record<string, unknown>) => {
    if (framed) return;
    setPending(true);
    setError(null);
    const answer: Answer = await post({ authorization: authorizationId, ...body }).catch(() => ({
      error: { message: "The portal could not be reached; try again." },
    }));
    if (answer.next) {
      window.location.assign(answer.next);
      return;
    }
    setError(answer.error ?? { message: "Something went wrong; try again." });
    setPending(false);
  };
  const deny = (
    <button type="button" className={buttonClass("secondary")} disabled={pending || framed} onClick={() => void submit({ action: "deny" })}>
      Deny
    </button>
  );

  if (frame === "framed") {
    return (
      <Alert className="mt-4">
        This page was opened inside another page, so its buttons are disabled. Open the authorization link in its own tab.
      </Alert>
    );
  }
  if (grantExpiresAt) {
    return (
      <Card className="mt-4" bodyClassName="p-4">
        <p className="text-sm text-gray-800" data-testid="oauth-consent-text">
          Allow <strong>{clientName}</strong> to use your access to <strong>{connection.name}</strong> until{" "}
          <strong>
            {/* The server renders in its time zone, the browser in the viewer's. */}
            <time dateTime={grantExpiresAt} suppressHydrationWarning>
              {formatUntil(grantExpiresAt)}
            </time>
          </strong>
          , when your grant ends.
        </p>
        {error ? <Alert className="mt-3">{error.message}</Alert> : null}
        <div className="mt-4 flex flex-wrap gap-2">
          <button
            type="button"
            className={buttonClass("primary")}
            disabled={pending || framed}
            onClick={() => void submit({ action: "approve" })}
          >
            Approve
          </button>
          {deny}
        </div>
      </Card>
    );
  }
  if (!canRequest) {
    return (
      <Card className="mt-4" bodyClassName="p-4">
        <Alert tone="amber">You have no grant for {connection.name}, and your role cannot request access. Ask an administrator.</Alert>
        <div className="mt-4">{deny}</div>
      </Card>
    );
  }
  return (
    <Card className="mt-4" bodyClassName="p-4">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void submit({ action: "request", minutes: Number(minutes), reason });
        }}
      >
        <p className="text-sm text-gray-800">
          You have no active grant for <strong>{connection.name}</strong>. Request access here: once an approver approves,{" "}
          <strong>{clientName}</strong> is signed in with that grant.
        </p>
        <div className="mt-4 grid gap-3 sm:grid-cols-[8rem_1fr]">
          <Field
            id="oauth-minutes"
            label={`Minutes (at most ${connection.maxMinutes})`}
            error={error?.field === "minutes" ? error.message : null}
          >
            {(control) => (
              <input
                {...control}
                name="minutes"
                type="number"
                min={1}
                max={connection.maxMinutes}
                required
                value={minutes}
                onChange={(event) => setMinutes(event.target.value)}
              />
            )}
          </Field>
          <Field id="oauth-reason" label="Reason" error={error?.field === "reason" ? error.message : null}>
            {(control) => (
              <input
                {...control}
                name="reason"
                required
                minLength={3}
                placeholder="What do you need it for?"
                value={reason}
                onChange={(event) => setReason(event.target.value)}
              />
            )}
          </Field>
        </div>
        {error && error.field !== "minutes" && error.field !== "reason" ? <Alert className="mt-3">{error.message}</Alert> : null}
        <div className="mt-4 flex flex-wrap gap-2">
          <button type="submit" className={buttonClass("primary")} disabled={pending || framed}>
            {pending ? "Sending…" : "Request access"}
          </button>
          {deny}
        </div>
      </form>
    </Card>
  );
}
