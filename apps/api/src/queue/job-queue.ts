import type { Db, DbProvider } from '../db/records.js';
import { LeaseClaimer, type LeasedRow, ownedBy, retryAt } from './lease.js';

/** A job a worker holds: its lease is `owner`'s until it expires or is renewed by a heartbeat. */
export type ClaimedJob = LeasedRow;

export interface QueueTiming {
  leaseMs: number;
  /** Delay before the second attempt; doubled for each later one. */
  retryBackoffMs: number;
}

export type FailureOutcome = { kind: 'RETRY'; runAfter: Date } | { kind: 'FAILED' } | { kind: 'LOST' };

/**
 * The inference queue on the InferenceJob table, which is also the record users see (status, attempts, error).
 * Claims, leases and heartbeats are `LeaseClaimer`'s (shared with the send queue): a claim takes a QUEUED job whose
 * runAfter is reached, or a RUNNING one whose lease expired, and every later write is conditional on still holding
 * the lease, so a worker whose lease was taken over gets `false` / LOST.
 */
export class JobQueue {
  private readonly lease: LeaseClaimer;

  constructor(
    private readonly prisma: Db,
    provider: DbProvider,
    private readonly timing: QueueTiming,
  ) {
    this.lease = new LeaseClaimer(prisma, provider, 'InferenceJob', timing.leaseMs);
  }

  claim(owner: string): Promise<ClaimedJob | null> {
    return this.lease.claim(owner);
  }

  /** Renews the lease; false when the job is no longer this worker's (taken over after an expiry, or finished). */
  heartbeat(job: ClaimedJob): Promise<boolean> {
    return this.lease.heartbeat(job);
  }

  /**
   * A failed attempt: queued again after a backoff (retryBackoffMs × 2^(attempt−1)) while attempts remain, else
   * FAILED with the reason, which `study.failure` shows. The study's status follows (QUEUED or FAILED).
   */
  async fail(job: ClaimedJob, error: { code: string; message: string }): Promise<FailureOutcome> {
    const now = new Date();
    const final = job.attempts >= job.maxAttempts;
    const runAfter = retryAt(now, this.timing.retryBackoffMs, job.attempts);
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.inferenceJob.updateMany({
        where: ownedBy(job),
        data: final
          ? {
              status: 'FAILED',
              finishedAt: now,
              leaseOwner: null,
              leaseExpiresAt: null,
              errorCode: error.code,
              error: error.message,
            }
          : {
              status: 'QUEUED',
              runAfter,
              leaseOwner: null,
              leaseExpiresAt: null,
              errorCode: error.code,
              error: error.message,
            },
      });
      if (updated.count !== 1) return { kind: 'LOST' } as const;
      await this.settleStudy(tx, job.studyId, final ? 'FAILED' : 'QUEUED');
      return final ? ({ kind: 'FAILED' } as const) : ({ kind: 'RETRY', runAfter } as const);
    });
  }

  /**
   * Gives a job back without counting the attempt (graceful shutdown mid-job): the next worker starts it at once.
   */
  async release(job: ClaimedJob): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.inferenceJob.updateMany({
        where: ownedBy(job),
        data: {
          status: 'QUEUED',
          attempts: { decrement: 1 },
          leaseOwner: null,
          leaseExpiresAt: null,
          runAfter: new Date(),
        },
      });
      if (updated.count !== 1) return false;
      await this.settleStudy(tx, job.studyId, 'QUEUED');
      return true;
    });
  }

  /**
   * The study's status after its job left RUNNING, unless another job of the study is still waiting or running
   * (slices arrived meanwhile), whose status then stands.
   */
  private async settleStudy(tx: Pick<Db, 'inferenceJob' | 'study'>, studyId: string, status: 'QUEUED' | 'FAILED') {
    if (status === 'FAILED') {
      const other = await tx.inferenceJob.count({ where: { studyId, status: { in: ['QUEUED', 'RUNNING'] } } });
      if (other > 0) return;
    }
    await tx.study.update({ where: { id: studyId }, data: { status } });
  }

  /** When the next QUEUED job becomes claimable (a retry's runAfter), for an idle worker's sleep. */
  async nextRunAfter(): Promise<Date | null> {
    const next = await this.prisma.inferenceJob.findFirst({
      where: { status: 'QUEUED' },
      orderBy: { runAfter: 'asc' },
      select: { runAfter: true },
    });
    return next?.runAfter ?? null;
  }
}
