"use client";

import { type ReactNode, useEffect, useState } from "react";
import { formatAge, formatRemaining } from "./format";
import { describeTime } from "./time";
import { buttonClass, cx } from "./ui";

/** The current time, re-read every `intervalMs`. */
export function useNow(intervalMs = 1_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** mm:ss until `expiresAt`, ticking every second. */
export function Countdown({ expiresAt, className }: { expiresAt: string; className?: string }) {
  const now = useNow(1_000);
  const remaining = new Date(expiresAt).getTime() - now;
  const expired = remaining <= 0;
  const urgent = !expired && remaining < 60_000;
  return (
    <span
      data-testid="countdown"
      title={`Expires ${describeTime(expiresAt)}`}
      className={cx(
        "font-mono tabular-nums",
        expired ? "text-gray-500" : urgent ? "font-semibold text-red-700" : "text-gray-900",
        className,
      )}
    >
      {expired ? "expired" : formatRemaining(remaining)}
    </span>
  );
}

/** "4 min ago", refreshed every 15 s. */
export function Age({ iso }: { iso: string }) {
  const now = useNow(15_000);
  return (
    <time dateTime={iso} title={describeTime(iso)}>
      {formatAge(iso, now)}
    </time>
  );
}

async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through to the legacy path
  }
  try {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok;
  } catch {
    return false;
  }
}

export function CopyButton({ text, label = "Copy", className }: { text: string; label?: string; className?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2_000);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className={cx(buttonClass("secondary", "sm"), className)}
      onClick={async () => setState((await copyText(text)) ? "copied" : "failed")}
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed — select and copy" : label}
    </button>
  );
}

/** A plaintext token shown once: selectable, with a copy button, optional actions and a note. */
export function OneTimeSecret({
  title,
  secret,
  testId,
  actions,
  children,
}: {
  title: ReactNode;
  secret: string;
  testId: string;
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div role="status" className="rounded-md border border-amber-300 bg-amber-50 p-3">
      <p className="text-sm font-semibold text-amber-900">{title}</p>
      <div className="mt-2 flex flex-wrap items-center gap-2">
        <code
          data-testid={testId}
          className="rounded border border-amber-200 bg-white px-2 py-1 font-mono text-sm break-all text-gray-900 select-all"
        >
          {secret}
        </code>
        <CopyButton text={secret} label="Copy token" />
        {actions}
      </div>
      <p className="mt-2 text-xs text-amber-900">{children}</p>
    </div>
  );
}
