import type { Db, DbProvider } from '../db/records.js';

/** A job a worker holds: its lease is `owner`'s until it expires or is renewed by a heartbeat. */
export interface ClaimedJob {
  id: string;
  studyId: string;
  /** This claim included (1 on the first run). */
  attempts: number;
  maxAttempts: number;
  owner: string;
}

export interface QueueTiming {
  leaseMs: number;
  /** Delay before the second attempt; doubled for each later one. */
  retryBackoffMs: number;
}

export type FailureOutcome = { kind: 'RETRY'; runAfter: Date } | { kind: 'FAILED' } | { kind: 'LOST' };

/**
 * The inference queue on the InferenceJob table, which is also the record users see (status, attempts, error).
 *
 * - Claimable: QUEUED with runAfter reached, or RUNNING with an expired lease (its worker died or hung). A claim
 *   counts an attempt and sets the lease; PostgreSQL claims with `FOR UPDATE SKIP LOCKED` so any number of workers
 *   on any hosts take distinct jobs without waiting on each other; SQLite (one worker process) claims with a
 *   compare-and-set update.
 * - Every later write (heartbeat, result, retry, release) is conditional on `leaseOwner = owner AND status =
 *   RUNNING`, so a worker whose lease was taken over can no longer touch the job: it gets `false` / LOST.
 * - Times come from the worker's clock; hosts sharing a PostgreSQL queue need synchronised clocks (NTP), and the
 *   lease should be many times larger than any skew.
 */
export class JobQueue {
  constructor(
    private readonly prisma: Db,
    private readonly provider: DbProvider,
    private readonly timing: QueueTiming,
  ) {}

  async claim(owner: string): Promise<ClaimedJob | null> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.timing.leaseMs);
    const row =
      this.provider === 'postgresql'
        ? await this.claimPostgres(owner, now, leaseUntil)
        : await this.claimCas(owner, now, leaseUntil);
    return row ? { ...row, owner } : null;
  }

  private async claimPostgres(owner: string, now: Date, leaseUntil: Date) {
    const rows = await this.prisma.$queryRaw<
      Array<{ id: string; studyId: string; attempts: number; maxAttempts: number }>
    >`
      UPDATE "InferenceJob"
         SET "status" = 'RUNNING', "attempts" = "attempts" + 1, "leaseOwner" = ${owner},
             "leaseExpiresAt" = ${leaseUntil}, "startedAt" = ${now}
       WHERE "id" = (
         SELECT "id" FROM "InferenceJob"
          WHERE ("status" = 'QUEUED' AND "runAfter" <= ${now})
             OR ("status" = 'RUNNING' AND "leaseExpiresAt" < ${now})
          ORDER BY "runAfter", "createdAt", "id"
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING "id", "studyId", "attempts", "maxAttempts"`;
    return rows[0] ?? null;
  }

  private async claimCas(owner: string, now: Date, leaseUntil: Date) {
    const claimable = {
      OR: [
        { status: 'QUEUED' as const, runAfter: { lte: now } },
        { status: 'RUNNING' as const, leaseExpiresAt: { lt: now } },
      ],
    };
    // A candidate someone else took between the read and the write fails the conditional update; try the next.
    for (let tries = 0; tries < 5; tries += 1) {
      const candidate = await this.prisma.inferenceJob.findFirst({
        where: claimable,
        orderBy: [{ runAfter: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
        select: { id: true },
      });
      if (!candidate) return null;
      const taken = await this.prisma.inferenceJob.updateMany({
        where: { id: candidate.id, ...claimable },
        data: {
          status: 'RUNNING',
          attempts: { increment: 1 },
          leaseOwner: owner,
          leaseExpiresAt: leaseUntil,
          startedAt: now,
        },
      });
      if (taken.count === 1) {
        return this.prisma.inferenceJob.findUniqueOrThrow({
          where: { id: candidate.id },
          select: { id: true, studyId: true, attempts: true, maxAttempts: true },
        });
      }
    }
    return null;
  }

  /** Renews the lease; false when the job is no longer this worker's (taken over after an expiry, or finished). */
  async heartbeat(job: ClaimedJob): Promise<boolean> {
    const renewed = await this.prisma.inferenceJob.updateMany({
      where: { id: job.id, leaseOwner: job.owner, status: 'RUNNING' },
      data: { leaseExpiresAt: new Date(Date.now() + this.timing.leaseMs) },
    });
    return renewed.count === 1;
  }

  /**
   * A failed attempt: queued again after a backoff (retryBackoffMs × 2^(attempt−1)) while attempts remain, else
   * FAILED with the reason, which `study.failure` shows. The study's status follows (QUEUED or FAILED).
   */
  async fail(job: ClaimedJob, error: { code: string; message: string }): Promise<FailureOutcome> {
    const now = new Date();
    const final = job.attempts >= job.maxAttempts;
    const runAfter = new Date(now.getTime() + this.timing.retryBackoffMs * 2 ** (job.attempts - 1));
    return this.prisma.$transaction(async (tx) => {
      const updated = await tx.inferenceJob.updateMany({
        where: { id: job.id, leaseOwner: job.owner, status: 'RUNNING' },
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
        where: { id: job.id, leaseOwner: job.owner, status: 'RUNNING' },
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
