-- CreateTable
CREATE TABLE "ResultObject" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "studyPredictionId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sopInstanceUid" TEXT NOT NULL,
    "seriesInstanceUid" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ResultObject_studyPredictionId_fkey" FOREIGN KEY ("studyPredictionId") REFERENCES "StudyPrediction" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ResultObject_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "ResultObject_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "ResultObject_sopInstanceUid_key" ON "ResultObject"("sopInstanceUid");

-- CreateIndex
CREATE UNIQUE INDEX "ResultObject_instanceId_key" ON "ResultObject"("instanceId");

-- CreateIndex
CREATE INDEX "ResultObject_studyId_idx" ON "ResultObject"("studyId");

-- CreateIndex
CREATE UNIQUE INDEX "ResultObject_studyPredictionId_kind_key" ON "ResultObject"("studyPredictionId", "kind");
