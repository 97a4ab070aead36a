import { createHmac, timingSafeEqual } from "node:crypto";
import { canonicalJson } from "../hash.ts";
import { deriveKey } from "../vault/derive-key.ts";
import { type PurgedCheck, type SessionSummary, sessionSummarySchema } from "./summary-schema.ts";
import type { SessionVerification } from "./views.ts";

export type { PurgedCheck, SessionSummary };

/** The HMAC key of purged sessions' summaries: derived from TOLLGATE_SECRET_KEY, never stored. */
export const sessionSummaryKey = (vaultKey: Uint8Array): Buffer => deriveKey(vaultKey, "session-summary:v1");

/** The summary's signature: HMAC-SHA256 over its canonical JSON (jsonb reorders keys), hex. */
export function signSessionSummary(key: Buffer, summary: SessionSummary): string {
  return createHmac("sha256", key)
    .update(`session-summary:v1\n${canonicalJson(summary)}`)
    .digest("hex");
}

export interface PurgedSessionRow {
  id: string;
  purgedAt: Date | null;
  lastSeq: number | null;
  lastHash: string | null;
  summary: unknown;
  summarySignature: string | null;
}

/**
 * Checks a purged session's summary: its signature, that it names this session and this purge,
 * and that its chain head is the one stored when the session ended. `vaultKey` null: the
 * signature cannot be checked, which counts as invalid.
 */
export function checkPurgedSession(session: PurgedSessionRow, vaultKey: Uint8Array | null): PurgedCheck {
  const at = (session.purgedAt ?? new Date(0)).toISOString();
  const parsed = sessionSummarySchema.safeParse(session.summary);
  if (!parsed.success) {
    return { at, signatureValid: false, headMatches: false, summary: null, reason: "the stored summary is missing or malformed" };
  }
  const summary = parsed.data;
  let signatureValid = false;
  let reason: string | undefined;
  if (!vaultKey) reason = "TOLLGATE_SECRET_KEY is not set: the summary's signature cannot be checked";
  else if (!session.summarySignature) reason = "the summary has no signature";
  else {
    const expected = Buffer.from(signSessionSummary(sessionSummaryKey(vaultKey), summary), "hex");
    const actual = Buffer.from(session.summarySignature, "hex");
    signatureValid = expected.length === actual.length && timingSafeEqual(expected, actual);
    if (!signatureValid) reason = "the summary does not match its signature: it was edited";
  }
  if (signatureValid && summary.sessionId !== session.id) {
    signatureValid = false;
    reason = `the summary is session ${summary.sessionId}'s, not this one's`;
  }
  if (signatureValid && summary.purgedAt !== at) {
    signatureValid = false;
    reason = "the summary was signed for another purge time";
  }
  // A session that never stored a head (ended by a crash before heads existed) has nothing to compare.
  const headMatches = session.lastSeq === null || ((summary.lastSeq ?? 0) === session.lastSeq && summary.lastHash === session.lastHash);
  if (signatureValid && !headMatches) reason = "the summary's chain head is not the one stored when the session ended";
  return { at, signatureValid, headMatches, summary, ...(reason ? { reason } : {}) };
}

/**
 * A purged session's verification, in the shape of a recording's: `ok` when its signed summary
 * checks out (and, at the purge, its chain did); `firstBad` `summary-invalid` (seq 0) otherwise.
 * Call with a session the caller may see (findVisibleSession) whose `purgedAt` is set.
 */
export function verifyPurgedSummary(options: { session: PurgedSessionRow; vaultKey: Uint8Array | null }): SessionVerification {
  const purged = checkPurgedSession(options.session, options.vaultKey);
  const chainOkAtPurge = purged.summary?.verified.ok ?? false;
  const ok = purged.signatureValid && purged.headMatches;
  let firstBad: SessionVerification["firstBad"];
  if (!ok) firstBad = { seq: 0, problem: "summary-invalid" };
  else if (!chainOkAtPurge && purged.summary?.verified.firstBad) {
    // The summary is genuine and says the recording was already broken when it was purged.
    const bad = purged.summary.verified.firstBad;
    const problems = ["altered", "missing", "out-of-order", "chain-broken"] as const;
    firstBad = { seq: bad.seq, problem: problems.find((problem) => problem === bad.problem) ?? "altered" };
  }
  return {
    ok: firstBad === undefined,
    events: 0,
    ...(firstBad ? { firstBad } : {}),
    headChecked: options.session.lastSeq !== null,
    checkedAt: new Date().toISOString(),
    purged,
  };
}
