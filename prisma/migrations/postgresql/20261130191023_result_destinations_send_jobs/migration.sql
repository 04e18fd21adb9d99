-- CreateEnum
CREATE TYPE "DestinationKind" AS ENUM ('DICOMWEB', 'DIMSE');

-- CreateEnum
CREATE TYPE "DestinationAuth" AS ENUM ('NONE', 'BASIC', 'BEARER');

-- CreateTable
CREATE TABLE "Destination" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "DestinationKind" NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "autoSend" BOOLEAN NOT NULL DEFAULT false,
    "url" TEXT,
    "authType" "DestinationAuth" NOT NULL DEFAULT 'NONE',
    "username" TEXT,
    "secretCipher" TEXT,
    "host" TEXT,
    "port" INTEGER,
    "calledAet" TEXT,
    "callingAet" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Destination_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SendJob" (
    "id" TEXT NOT NULL,
    "destinationId" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "sopInstanceUid" TEXT NOT NULL,
    "status" "JobStatus" NOT NULL DEFAULT 'QUEUED',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "maxAttempts" INTEGER NOT NULL DEFAULT 5,
    "leaseOwner" TEXT,
    "leaseExpiresAt" TIMESTAMP(3),
    "runAfter" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "errorCode" TEXT,
    "error" TEXT,
    "trigger" TEXT NOT NULL DEFAULT 'AUTO',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "SendJob_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "SendJob" ADD CONSTRAINT "SendJob_destinationId_fkey" FOREIGN KEY ("destinationId") REFERENCES "Destination"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SendJob" ADD CONSTRAINT "SendJob_studyId_fkey" FOREIGN KEY ("studyId") REFERENCES "Study"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SendJob" ADD CONSTRAINT "SendJob_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Wakes idle senders (LISTEN ich_send_jobs) the moment a send becomes claimable (queued by the worker's auto-send,
-- an admin's manual send, or a retry), delivered at commit, like the InferenceJob trigger of the queue_worker
-- migration. The body is an E'' string with \073 for each semicolon (the migration runner's adapter splits scripts
-- at every semicolon).
CREATE FUNCTION "ich_notify_send_job"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''ich_send_jobs'', NEW."id")\073 RETURN NEW\073 END';

CREATE TRIGGER "SendJob_notify_queued"
  AFTER INSERT OR UPDATE OF "status", "runAfter" ON "SendJob"
  FOR EACH ROW WHEN (NEW."status" = 'QUEUED')
  EXECUTE FUNCTION "ich_notify_send_job"();
