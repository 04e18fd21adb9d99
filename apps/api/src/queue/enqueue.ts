import type { Db } from '../db/records.js';

/** The part of a Prisma client (or of an interactive transaction) that queueing needs. */
export type QueueWriter = Pick<Db, 'inferenceJob' | 'study'>;

export interface EnqueueResult {
  jobId: string;
  /** false when a job for this study was already waiting: the waiting one will read every stored slice. */
  created: boolean;
}

/**
 * Queues one analysis of a study. Call it in the transaction that recorded the study's instances, so a study is
 * never stored without its job (nor queued without its files). A job that is already QUEUED covers the new slices
 * too, since a worker reads the study's instances when it claims the job; a RUNNING job does not (it may have read
 * them already), so slices arriving during or after a result queue a fresh job.
 *
 * Race-free under concurrent enqueues: the study row is written first, which takes its row lock on PostgreSQL
 * (the database-wide write lock on SQLite). A second transaction enqueueing the same study waits there until the
 * first commits, and under READ COMMITTED its next statement sees the committed job, so it reuses it. Workers wake
 * through the database (a NOTIFY trigger on PostgreSQL, polling on SQLite), so nothing here depends on the provider.
 */
export async function enqueueStudyAnalysis(db: QueueWriter, studyId: string): Promise<EnqueueResult> {
  await db.study.update({ where: { id: studyId }, data: { status: 'QUEUED' } });
  const waiting = await db.inferenceJob.findFirst({
    where: { studyId, status: 'QUEUED' },
    select: { id: true },
  });
  if (waiting) return { jobId: waiting.id, created: false };
  const job = await db.inferenceJob.create({ data: { studyId }, select: { id: true } });
  return { jobId: job.id, created: true };
}
