import type { Db, DbProvider } from '../db/records.js';
import { LeaseClaimer, type LeasedRow, ownedBy, retryAt } from '../queue/lease.js';

export type ClaimedSend = LeasedRow;

export type SendFailure = { kind: 'RETRY'; runAfter: Date } | { kind: 'FAILED' } | { kind: 'LOST' };

/**
 * The send queue on the SendJob table: claimed, leased and renewed by the same `LeaseClaimer` as the inference
 * queue (SKIP LOCKED on PostgreSQL, compare-and-set on SQLite). Each row is one SOP instance for one destination;
 * DONE is final, so an acknowledged instance is never sent to that destination again.
 */
export class SendQueue {
  private readonly lease: LeaseClaimer;

  constructor(
    private readonly prisma: Db,
    provider: DbProvider,
    private readonly timing: { leaseMs: number; retryBackoffMs: number },
  ) {
    this.lease = new LeaseClaimer(prisma, provider, 'SendJob', timing.leaseMs);
  }

  claim(owner: string): Promise<ClaimedSend | null> {
    return this.lease.claim(owner);
  }

  heartbeat(send: ClaimedSend): Promise<boolean> {
    return this.lease.heartbeat(send);
  }

  /** The destination acknowledged the instance. False when the lease was lost meanwhile (another worker resends). */
  async complete(send: ClaimedSend): Promise<boolean> {
    const done = await this.prisma.sendJob.updateMany({
      where: ownedBy(send),
      data: {
        status: 'DONE',
        sentAt: new Date(),
        leaseOwner: null,
        leaseExpiresAt: null,
        errorCode: null,
        error: null,
      },
    });
    return done.count === 1;
  }

  /** A failed attempt: QUEUED again after `retryBackoffMs × 2^(attempt−1)` while attempts remain, else FAILED. */
  async fail(send: ClaimedSend, error: { code: string; message: string }): Promise<SendFailure> {
    const now = new Date();
    const final = send.attempts >= send.maxAttempts;
    const runAfter = retryAt(now, this.timing.retryBackoffMs, send.attempts);
    const updated = await this.prisma.sendJob.updateMany({
      where: ownedBy(send),
      data: {
        status: final ? 'FAILED' : 'QUEUED',
        ...(final ? {} : { runAfter }),
        leaseOwner: null,
        leaseExpiresAt: null,
        errorCode: error.code,
        error: error.message,
      },
    });
    if (updated.count !== 1) return { kind: 'LOST' };
    return final ? { kind: 'FAILED' } : { kind: 'RETRY', runAfter };
  }

  /** Puts a send back without counting the attempt (its destination is disabled, or the worker is stopping). */
  async postpone(send: ClaimedSend, runAfter: Date): Promise<boolean> {
    const updated = await this.prisma.sendJob.updateMany({
      where: ownedBy(send),
      data: { status: 'QUEUED', attempts: { decrement: 1 }, runAfter, leaseOwner: null, leaseExpiresAt: null },
    });
    return updated.count === 1;
  }

  /** When the next QUEUED send becomes claimable, for an idle sender's sleep. */
  async nextRunAfter(): Promise<Date | null> {
    const next = await this.prisma.sendJob.findFirst({
      where: { status: 'QUEUED' },
      orderBy: { runAfter: 'asc' },
      select: { runAfter: true },
    });
    return next?.runAfter ?? null;
  }
}
