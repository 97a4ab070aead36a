-- AlterTable: the record format an audit row's hash covers (1 = before issue 10, 2 = every column)
ALTER TABLE "AuditEvent" ADD COLUMN "v" INTEGER NOT NULL DEFAULT 1;

-- CreateTable: signed checkpoints of the audit chain's head, so truncating the newest rows shows
CREATE TABLE "AuditCheckpoint" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "eventId" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "signature" TEXT NOT NULL,

    CONSTRAINT "AuditCheckpoint_pkey" PRIMARY KEY ("id")
);
