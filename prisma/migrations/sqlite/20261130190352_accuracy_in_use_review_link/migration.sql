-- CreateTable
CREATE TABLE "ModelAlert" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "modelVersionId" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "firing" BOOLEAN NOT NULL DEFAULT false,
    "changedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ModelAlert_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Review" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "studyId" TEXT NOT NULL,
    "reviewerId" TEXT NOT NULL,
    "studyPredictionId" TEXT,
    "verdict" TEXT NOT NULL,
    "comment" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Review_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Review_reviewerId_fkey" FOREIGN KEY ("reviewerId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Review_studyPredictionId_fkey" FOREIGN KEY ("studyPredictionId") REFERENCES "StudyPrediction" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Review" ("comment", "createdAt", "id", "reviewerId", "studyId", "verdict") SELECT "comment", "createdAt", "id", "reviewerId", "studyId", "verdict" FROM "Review";
DROP TABLE "Review";
ALTER TABLE "new_Review" RENAME TO "Review";
CREATE INDEX "Review_studyId_createdAt_idx" ON "Review"("studyId", "createdAt");
CREATE INDEX "Review_studyPredictionId_createdAt_idx" ON "Review"("studyPredictionId", "createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "ModelAlert_modelVersionId_metric_key" ON "ModelAlert"("modelVersionId", "metric");

-- CreateIndex
CREATE INDEX "StudyPrediction_modelVersionId_createdAt_idx" ON "StudyPrediction"("modelVersionId", "createdAt");

-- Backfill: credit each earlier review to the prediction its reviewer was shown, the study's latest one at the time.
UPDATE "Review" SET "studyPredictionId" = (
    SELECT "sp"."id" FROM "StudyPrediction" AS "sp"
     WHERE "sp"."studyId" = "Review"."studyId" AND "sp"."createdAt" <= "Review"."createdAt"
     ORDER BY "sp"."createdAt" DESC, "sp"."id" DESC
     LIMIT 1);
