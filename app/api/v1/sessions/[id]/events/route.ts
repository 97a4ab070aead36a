import { AppError } from "@/lib/errors";
import { listSessionEvents } from "@/lib/recording/sessions";
import { handle } from "../../../_lib/handler";

export const dynamic = "force-dynamic";

/** SessionEvent.seq is a Postgres integer. */
const MAX_SEQ = 2_147_483_647;

export const GET = handle<{ id: string }>(async ({ request, actor, params, db }) => {
  const after = new URL(request.url).searchParams.get("after");
  let afterSeq: number | undefined;
  if (after !== null) {
    afterSeq = /^\d{1,10}$/.test(after) ? Number(after) : Number.NaN;
    if (!(afterSeq <= MAX_SEQ)) {
      throw new AppError("BAD_REQUEST", `after must be a non-negative integer (a seq, at most ${MAX_SEQ}).`, { field: "after" });
    }
  }
  return listSessionEvents(db, { actor, sessionId: params.id, afterSeq });
});
