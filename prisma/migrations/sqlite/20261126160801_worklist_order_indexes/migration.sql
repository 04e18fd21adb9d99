-- DropIndex
DROP INDEX "Study_reviewed_receivedAt_idx";

-- DropIndex
DROP INDEX "Study_priority_receivedAt_idx";

-- CreateIndex
CREATE INDEX "Study_priority_receivedAt_id_idx" ON "Study"("priority" DESC, "receivedAt", "id");

-- CreateIndex
CREATE INDEX "Study_reviewed_priority_receivedAt_id_idx" ON "Study"("reviewed", "priority" DESC, "receivedAt", "id");
