-- AlterTable: the recording's chain head, stored when the session ends (issue 10, integrity)
ALTER TABLE "Session" ADD COLUMN "lastSeq" INTEGER,
ADD COLUMN "lastHash" TEXT;
