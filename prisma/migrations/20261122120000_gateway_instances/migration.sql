-- Gateway instances (gateway/instance.ts): every gateway process registers on start, heartbeats
-- every 10 s and marks stoppedAt on a clean shutdown. Sessions record the instance that owns them
-- (held calls already do, in "gatewayInstance"), so a live gateway can end the sessions and abandon
-- the held calls of one whose heartbeat went stale. Plain references, no foreign keys: rows written
-- before this migration name no instance (sessions) or one never registered (held calls).

-- CreateTable
CREATE TABLE "GatewayInstance" (
    "id" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "stoppedAt" TIMESTAMP(3),
    "hostname" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "version" TEXT NOT NULL,

    CONSTRAINT "GatewayInstance_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "GatewayInstance_heartbeatAt_idx" ON "GatewayInstance"("heartbeatAt");

-- AlterTable
ALTER TABLE "Session" ADD COLUMN "gatewayInstanceId" TEXT;

-- CreateIndex
CREATE INDEX "Session_gatewayInstanceId_endedAt_idx" ON "Session"("gatewayInstanceId", "endedAt");
