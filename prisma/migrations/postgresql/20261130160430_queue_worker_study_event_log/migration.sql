-- CreateTable
CREATE TABLE "StudyEventLog" (
    "seq" SERIAL NOT NULL,
    "kind" TEXT NOT NULL,
    "studyId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "origin" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StudyEventLog_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE INDEX "StudyEventLog_at_idx" ON "StudyEventLog"("at");

-- Wakes idle workers (LISTEN ich_inference_jobs) the moment a job becomes claimable, whoever queued it (ingest,
-- reprocess, a retry, an operator's UPDATE), delivered when the inserting transaction commits. Triggers are not part
-- of Prisma's schema model, so drift checks do not see it.
-- The body is an E'' string with \073 for each semicolon: the driver adapter the migration runner uses splits
-- scripts at every semicolon, even inside a $$-quoted body. PostgreSQL reads \073 as a semicolon.
CREATE FUNCTION "ich_notify_inference_job"() RETURNS trigger LANGUAGE plpgsql AS
  E'BEGIN PERFORM pg_notify(''ich_inference_jobs'', NEW."id")\073 RETURN NEW\073 END';

CREATE TRIGGER "InferenceJob_notify_queued"
  AFTER INSERT OR UPDATE OF "status", "runAfter" ON "InferenceJob"
  FOR EACH ROW WHEN (NEW."status" = 'QUEUED')
  EXECUTE FUNCTION "ich_notify_inference_job"();
