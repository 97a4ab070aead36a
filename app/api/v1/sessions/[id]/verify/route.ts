import { vaultKey } from "@/lib/config";
import { findVisibleSession } from "@/lib/recording/sessions";
import { verifyPurgedSummary } from "@/lib/recording/verify-purged";
import { verifySession } from "@/lib/recording/verify-session";
import { handle, methodsNotAllowed } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

/** Each verification reads the whole recording and hashes every event: a few at a time per user. */
const VERIFY_OPTIONS = { perUser: { max: 4, what: "session verifications running" } };

export const GET = handle<{ id: string }>(async ({ actor, params, db }) => {
  const session = await findVisibleSession(db, actor, params.id);
  // Retention deleted the events: the signed summary it kept is what can be checked.
  if (session.purgedAt) return verifyPurgedSummary({ session, vaultKey: process.env.TOLLGATE_SECRET_KEY ? vaultKey() : null });
  return verifySession(db, { actor, sessionId: params.id });
}, VERIFY_OPTIONS);

export const { POST, PUT, PATCH, DELETE, OPTIONS } = methodsNotAllowed("GET");
