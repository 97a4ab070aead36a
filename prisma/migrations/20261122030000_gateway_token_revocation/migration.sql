-- AlterTable
ALTER TABLE "GatewayToken" ADD COLUMN "revokedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Session" ADD COLUMN "gatewayTokenId" TEXT;

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_gatewayTokenId_fkey" FOREIGN KEY ("gatewayTokenId") REFERENCES "GatewayToken"("id") ON DELETE SET NULL ON UPDATE CASCADE;
