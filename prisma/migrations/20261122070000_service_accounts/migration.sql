-- CreateEnum
CREATE TYPE "UserKind" AS ENUM ('HUMAN', 'SERVICE');

-- AlterTable
ALTER TABLE "User" ADD COLUMN "kind" "UserKind" NOT NULL DEFAULT 'HUMAN',
ADD COLUMN "issuer" TEXT,
ADD COLUMN "lastSeenAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "User_kind_idx" ON "User"("kind");
