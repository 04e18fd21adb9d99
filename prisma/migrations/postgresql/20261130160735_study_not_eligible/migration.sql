-- AlterEnum
ALTER TYPE "StudyStatus" ADD VALUE 'NOT_ELIGIBLE';

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "sopClassUid" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "Series" ADD COLUMN     "orientation" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "Study" ADD COLUMN     "lastInstanceAt" TIMESTAMP(3),
ADD COLUMN     "notEligibleReason" TEXT;

-- CreateIndex
CREATE INDEX "Study_lastInstanceAt_idx" ON "Study"("lastInstanceAt");
