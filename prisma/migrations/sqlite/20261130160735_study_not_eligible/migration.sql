-- AlterTable
ALTER TABLE "Study" ADD COLUMN "lastInstanceAt" DATETIME;
ALTER TABLE "Study" ADD COLUMN "notEligibleReason" TEXT;

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Instance" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sopInstanceUid" TEXT NOT NULL,
    "sopClassUid" TEXT NOT NULL DEFAULT '',
    "seriesId" TEXT NOT NULL,
    "instanceNumber" INTEGER,
    "position" REAL,
    "sliceIndex" INTEGER,
    "rows" INTEGER NOT NULL,
    "columns" INTEGER NOT NULL,
    "transferSyntaxUid" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "storageKey" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Instance_seriesId_fkey" FOREIGN KEY ("seriesId") REFERENCES "Series" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Instance" ("columns", "contentHash", "createdAt", "id", "instanceNumber", "position", "rows", "seriesId", "sizeBytes", "sliceIndex", "sopInstanceUid", "storageKey", "transferSyntaxUid") SELECT "columns", "contentHash", "createdAt", "id", "instanceNumber", "position", "rows", "seriesId", "sizeBytes", "sliceIndex", "sopInstanceUid", "storageKey", "transferSyntaxUid" FROM "Instance";
DROP TABLE "Instance";
ALTER TABLE "new_Instance" RENAME TO "Instance";
CREATE UNIQUE INDEX "Instance_sopInstanceUid_key" ON "Instance"("sopInstanceUid");
CREATE INDEX "Instance_seriesId_sliceIndex_idx" ON "Instance"("seriesId", "sliceIndex");
CREATE INDEX "Instance_contentHash_idx" ON "Instance"("contentHash");
CREATE TABLE "new_Series" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "seriesInstanceUid" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "seriesNumber" INTEGER,
    "description" TEXT NOT NULL DEFAULT '',
    "modality" TEXT NOT NULL,
    "orientation" TEXT NOT NULL DEFAULT '',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Series_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Series" ("createdAt", "description", "id", "modality", "seriesInstanceUid", "seriesNumber", "studyId") SELECT "createdAt", "description", "id", "modality", "seriesInstanceUid", "seriesNumber", "studyId" FROM "Series";
DROP TABLE "Series";
ALTER TABLE "new_Series" RENAME TO "Series";
CREATE UNIQUE INDEX "Series_seriesInstanceUid_key" ON "Series"("seriesInstanceUid");
CREATE INDEX "Series_studyId_idx" ON "Series"("studyId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "Study_lastInstanceAt_idx" ON "Study"("lastInstanceAt");
