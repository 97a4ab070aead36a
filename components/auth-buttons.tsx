"use client";

import { signIn, signOut } from "next-auth/react";
import { useEffect, useState } from "react";
import { buttonClass } from "./ui";

// next-auth sends sign-in failures back to "/?error=<code>".
const SIGN_IN_ERRORS: Record<string, string> = {
  AccessDenied: "Your identity provider account was refused. Tollgate needs an email address on your account.",
  OAuthSignin: "Could not start sign-in with the identity provider. Is it reachable?",
  OAuthCallback: "The identity provider's answer could not be verified. Try again.",
  Callback: "Sign-in could not be completed. Try again.",
  Configuration: "Sign-in is misconfigured on the server. Ask an administrator.",
  SessionRequired: "Please sign in to continue.",
};

export function SignInCard() {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const code = new URLSearchParams(window.location.search).get("error");
    if (code) setError(SIGN_IN_ERRORS[code] ?? "Sign-in failed. Try again.");
  }, []);
  return (
    <div className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border border-gray-200 bg-white p-6 shadow-sm">
        <div className="mb-4 flex items-center gap-2">
          <Wordmark />
        </div>
        <h1 className="text-lg font-semibold text-gray-900">Sign in to Tollgate</h1>
        <p className="mt-1 text-gray-600">
          Just-in-time access to MCP servers. Sign in with your company identity provider to request, approve or review access.
        </p>
        {error ? (
          <p role="alert" className="mt-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            {error}
          </p>
        ) : null}
        <button
          type="button"
          className={`${buttonClass("primary")} mt-5 w-full`}
          disabled={pending}
          onClick={() => {
            setPending(true);
            void signIn("oidc").catch(() => setPending(false));
          }}
        >
          {pending ? "Redirecting…" : "Sign in"}
        </button>
      </div>
    </div>
  );
}

export function SignOutButton() {
  return (
    <button type="button" className={buttonClass("ghost", "sm")} onClick={() => void signOut({ callbackUrl: "/" })}>
      Sign out
    </button>
  );
}

export function Wordmark() {
  return (
    <span className="inline-flex items-center gap-1.5 text-base font-semibold tracking-tight text-gray-900">
      <svg aria-hidden="true" viewBox="0 0 20 20" className="h-5 w-5 text-indigo-600" fill="currentColor">
        <path d="M3 4h14v3H11.5v9h-3V7H3z" />
      </svg>
      Tollgate
    </span>
  );
}
