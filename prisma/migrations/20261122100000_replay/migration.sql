-- Replay (issue 10): each message as it was sent, request/response pairing, search, retention.

-- Trigram search over recorded payloads (a trusted extension: the database owner may create it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- AlterTable: the stored (masked) message as text, key order as sent (jsonb sorts keys); for a
-- response, the request it answers and how long that took.
ALTER TABLE "SessionEvent" ADD COLUMN "raw" TEXT;
ALTER TABLE "SessionEvent" ADD COLUMN "replyToSeq" INTEGER;
ALTER TABLE "SessionEvent" ADD COLUMN "latencyMs" DOUBLE PRECISION;

-- CreateIndex: free-text search in payloads, and the sessions list's tool and decision filters.
CREATE INDEX "SessionEvent_raw_idx" ON "SessionEvent" USING GIN ("raw" gin_trgm_ops);
CREATE INDEX "SessionEvent_tool_sessionId_idx" ON "SessionEvent"("tool", "sessionId");
CREATE INDEX "SessionEvent_decision_sessionId_idx" ON "SessionEvent"("decision", "sessionId");

-- AlterTable: retention. A purged session keeps a signed summary of what its events were.
ALTER TABLE "Session" ADD COLUMN "purgedAt" TIMESTAMP(3);
ALTER TABLE "Session" ADD COLUMN "summary" JSONB;
ALTER TABLE "Session" ADD COLUMN "summarySignature" TEXT;

-- CreateIndex: the sessions list filtered by connection.
CREATE INDEX "Session_connectionId_startedAt_idx" ON "Session"("connectionId", "startedAt");
