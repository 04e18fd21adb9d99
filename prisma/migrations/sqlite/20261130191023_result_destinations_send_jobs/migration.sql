-- CreateTable
CREATE TABLE "Destination" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "autoSend" BOOLEAN NOT NULL DEFAULT false,
    "url" TEXT,
    "authType" TEXT NOT NULL DEFAULT 'NONE',
    "username" TEXT,
    "secretCipher" TEXT,
    "host" TEXT,
    "port" INTEGER,
    "calledAet" TEXT,
    "callingAet" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "SendJob" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "destinationId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "sopInstanceUid" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "leaseOwner" TEXT,
    "leaseExpiresAt" DATETIME,
    "runAfter" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "errorCode" TEXT,
    "error" TEXT,
    "trigger" TEXT NOT NULL DEFAULT 'AUTO',
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" DATETIME,
    "sentAt" DATETIME,
    CONSTRAINT "SendJob_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "SendJob_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "SendJob_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Destination_name_key" ON "Destination"("name");

-- CreateIndex
CREATE INDEX "SendJob_status_runAfter_idx" ON "SendJob"("status", "runAfter");

-- CreateIndex
CREATE INDEX "SendJob_status_leaseExpiresAt_idx" ON "SendJob"("status", "leaseExpiresAt");

-- CreateIndex
CREATE INDEX "SendJob_studyId_idx" ON "SendJob"("studyId");

-- CreateIndex
CREATE INDEX "SendJob_destinationId_status_idx" ON "SendJob"("destinationId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "SendJob_destinationId_sopInstanceUid_key" ON "SendJob"("destinationId", "sopInstanceUid");
