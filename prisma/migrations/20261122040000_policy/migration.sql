-- AlterTable
ALTER TABLE "SessionEvent" ADD COLUMN "decision" TEXT,
ADD COLUMN "masked" JSONB;

-- CreateTable
CREATE TABLE "PolicyVersion" (
    "id" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "connectionId" TEXT,
    "version" INTEGER NOT NULL,
    "document" JSONB NOT NULL,
    "summary" TEXT NOT NULL,
    "restoredFrom" INTEGER,
    "createdById" TEXT,
    "createdByEmail" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "PolicyVersion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "PolicyVersion_connectionId_idx" ON "PolicyVersion"("connectionId");

-- CreateIndex
CREATE UNIQUE INDEX "PolicyVersion_scope_version_key" ON "PolicyVersion"("scope", "version");

-- AddForeignKey
ALTER TABLE "PolicyVersion" ADD CONSTRAINT "PolicyVersion_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "Connection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PolicyVersion" ADD CONSTRAINT "PolicyVersion_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;
