"use client";

import { useEffect, useState } from "react";
import { Alert, buttonClass } from "@/components/ui";

// Asks the portal whether the access request was decided: at once, on every live "accessRequests"
// event (Postgres NOTIFY over /api/v1/events), and every 5 s as a fallback. Once decided, the
// answer is where the browser goes: the MCP client's redirect URI.

type Progress =
  | { status: "pending"; request: { status: string } | null }
  | { status: "done"; redirect: string; outcome: "approved" | "denied" }
  | { error: { message: string } };

export function WaitForApproval({ authorizationId, clientName }: { authorizationId: string; clientName: string }) {
  const [state, setState] = useState<{ kind: "waiting" | "approved" | "denied" | "error"; message?: string }>({ kind: "waiting" });

  useEffect(() => {
    let finished = false;
    let inFlight = false;
    const check = async () => {
      if (finished || inFlight) return;
      inFlight = true;
      try {
        const response = await fetch("/oauth/authorize/status", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ authorization: authorizationId }),
        });
        const progress = (await response.json()) as Progress;
        if ("error" in progress) {
          finished = true;
          setState({ kind: "error", message: progress.error.message });
        } else if (progress.status === "done") {
          finished = true;
          setState({ kind: progress.outcome });
          window.location.assign(progress.redirect);
        }
      } catch {
        // The next event or poll tries again.
      } finally {
        inFlight = false;
      }
    };
    const source = new EventSource("/api/v1/events");
    source.addEventListener("accessRequests", () => void check());
    source.addEventListener("grantRevoked", () => void check());
    source.addEventListener("reconnected", () => void check());
    const poll = setInterval(() => void check(), 5000);
    void check();
    return () => {
      finished = true;
      source.close();
      clearInterval(poll);
    };
  }, [authorizationId]);

  if (state.kind === "approved") {
    return (
      <Alert tone="green" className="mt-4">
        Approved. Returning you to {clientName}…
      </Alert>
    );
  }
  if (state.kind === "denied") {
    return (
      <Alert tone="amber" className="mt-4">
        The request was not approved. Returning you to {clientName}, which is told that access was denied…
      </Alert>
    );
  }
  if (state.kind === "error") return <Alert className="mt-4">{state.message}</Alert>;
  const cancel = async () => {
    setState({ kind: "denied" });
    const response = await fetch("/oauth/authorize/decide", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ action: "deny", authorization: authorizationId }),
    }).catch(() => null);
    const answer = (await response?.json().catch(() => null)) as { next?: string; error?: { message: string } } | null;
    if (answer?.next) window.location.assign(answer.next);
    else setState({ kind: "error", message: answer?.error?.message ?? "The portal could not be reached; try again." });
  };
  return (
    <div className="mt-4 flex flex-wrap items-center justify-between gap-3">
      <div role="status" aria-live="polite" className="flex items-center gap-2 text-sm text-indigo-900" data-testid="oauth-waiting">
        <span className="inline-block h-2.5 w-2.5 animate-pulse rounded-full bg-indigo-500" aria-hidden="true" />
        Waiting for approval — this page updates live.
      </div>
      <button type="button" className={buttonClass("secondary", "sm")} onClick={() => void cancel()}>
        Cancel request
      </button>
    </div>
  );
}
