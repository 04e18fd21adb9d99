-- AlterTable
ALTER TABLE "Review" ADD COLUMN     "studyPredictionId" TEXT;

-- CreateTable
CREATE TABLE "ModelAlert" (
    "id" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "firing" BOOLEAN NOT NULL DEFAULT false,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ModelAlert_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ModelAlert_modelVersionId_metric_key" ON "ModelAlert"("modelVersionId", "metric");

-- CreateIndex
CREATE INDEX "Review_studyPredictionId_createdAt_idx" ON "Review"("studyPredictionId", "createdAt");

-- CreateIndex
CREATE INDEX "StudyPrediction_modelVersionId_createdAt_idx" ON "StudyPrediction"("modelVersionId", "createdAt");

-- AddForeignKey
ALTER TABLE "Review" ADD CONSTRAINT "Review_studyPredictionId_fkey" FOREIGN KEY ("studyPredictionId") REFERENCES "StudyPrediction"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ModelAlert" ADD CONSTRAINT "ModelAlert_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Backfill: credit each earlier review to the prediction its reviewer was shown, the study's latest one at the time.
UPDATE "Review" SET "studyPredictionId" = (
    SELECT "sp"."id" FROM "StudyPrediction" AS "sp"
     WHERE "sp"."studyId" = "Review"."studyId" AND "sp"."createdAt" <= "Review"."createdAt"
     ORDER BY "sp"."createdAt" DESC, "sp"."id" DESC
     LIMIT 1);
