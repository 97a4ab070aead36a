-- CreateEnum
CREATE TYPE "HeldCallStatus" AS ENUM ('PENDING', 'APPROVED', 'DENIED', 'EXPIRED', 'CANCELLED', 'ABANDONED');

-- CreateEnum
CREATE TYPE "HeldCallScope" AS ENUM ('CALL', 'SESSION');

-- CreateTable
CREATE TABLE "HeldCall" (
    "id" TEXT NOT NULL,
    "sessionId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "connectionId" TEXT NOT NULL,
    "rpcId" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "tool" TEXT,
    "arguments" JSONB NOT NULL,
    "argumentsHash" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "ruleDescription" TEXT,
    "ruleScope" TEXT NOT NULL,
    "status" "HeldCallStatus" NOT NULL DEFAULT 'PENDING',
    "scope" "HeldCallScope",
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deadline" TIMESTAMP(3) NOT NULL,
    "decidedAt" TIMESTAMP(3),
    "decidedById" TEXT,
    "comment" TEXT,
    "endReason" TEXT,
    "gatewayInstance" TEXT NOT NULL,

    CONSTRAINT "HeldCall_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "HeldCall_status_deadline_idx" ON "HeldCall"("status", "deadline");

-- CreateIndex
CREATE INDEX "HeldCall_userId_createdAt_idx" ON "HeldCall"("userId", "createdAt");

-- CreateIndex
CREATE INDEX "HeldCall_sessionId_idx" ON "HeldCall"("sessionId");

-- CreateIndex
CREATE INDEX "HeldCall_gatewayInstance_status_idx" ON "HeldCall"("gatewayInstance", "status");

-- AddForeignKey
ALTER TABLE "HeldCall" ADD CONSTRAINT "HeldCall_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HeldCall" ADD CONSTRAINT "HeldCall_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HeldCall" ADD CONSTRAINT "HeldCall_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HeldCall" ADD CONSTRAINT "HeldCall_decidedById_fkey" FOREIGN KEY ("decidedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
