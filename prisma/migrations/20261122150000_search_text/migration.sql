-- Payload search moves off the path a recorded message waits on. pg_trgm extracts every trigram of
-- a message in the backend that inserts it, so with the GIN index on "SessionEvent".raw each commit
-- the gateway waits for before forwarding grew with the message: +0.56 ms at 1 KB, +1.3 ms at
-- 10 KB, +10.8 ms at 100 KB on the development machine. The recorder now commits the event alone
-- and then, without anyone waiting, copies its text here (EventWriter); a sweep in the gateway's
-- housekeeping fills in what a crash left out (indexMissingSearchText). Search reads this table.
CREATE TABLE "SessionEventText" (
    "sessionId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "raw" TEXT NOT NULL,

    CONSTRAINT "SessionEventText_pkey" PRIMARY KEY ("sessionId", "seq")
);

INSERT INTO "SessionEventText" ("sessionId", "seq", "raw")
SELECT "sessionId", "seq", "raw" FROM "SessionEvent" WHERE "raw" IS NOT NULL;

CREATE INDEX "SessionEventText_raw_idx" ON "SessionEventText" USING GIN ("raw" gin_trgm_ops);

DROP INDEX "SessionEvent_raw_idx";
