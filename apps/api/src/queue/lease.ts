import { Prisma } from '@ich/prisma';
import type { Db, DbProvider } from '../db/records.js';

/**
 * The tables that are queues: same lease columns (status QUEUED/RUNNING/DONE/FAILED, attempts, maxAttempts,
 * leaseOwner, leaseExpiresAt, runAfter, startedAt) and a studyId. InferenceJob holds analyses, SendJob holds sends
 * of result objects to destinations; both are claimed by this one mechanism.
 */
export type LeaseTable = 'InferenceJob' | 'SendJob';

/** A row a worker holds: its lease is `owner`'s until it expires or is renewed by a heartbeat. */
export interface LeasedRow {
  id: string;
  studyId: string;
  /** This claim included (1 on the first run). */
  attempts: number;
  maxAttempts: number;
  owner: string;
}

type Claimed = Omit<LeasedRow, 'owner'>;

// What the claim needs of a queue table's delegate. Each table's Prisma delegate has these methods with its own
// argument types; the filters below use only the shared lease columns, so viewing either through this is sound.
interface LeaseDelegate {
  findFirst(args: { where: object; orderBy: object[]; select: { id: true } }): Promise<{ id: string } | null>;
  updateMany(args: { where: object; data: object }): Promise<{ count: number }>;
  findUniqueOrThrow(args: {
    where: { id: string };
    select: { id: true; studyId: true; attempts: true; maxAttempts: true };
  }): Promise<Claimed>;
}

function delegateOf(prisma: Db, table: LeaseTable): LeaseDelegate {
  return (table === 'InferenceJob' ? prisma.inferenceJob : prisma.sendJob) as unknown as LeaseDelegate;
}

/** When a failed attempt runs again: `backoffMs × 2^(attempt−1)` after now. */
export function retryAt(now: Date, backoffMs: number, attempts: number): Date {
  return new Date(now.getTime() + backoffMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Claiming and holding leases on a queue table.
 *
 * - Claimable: QUEUED with runAfter reached, or RUNNING with an expired lease (its worker died or hung). A claim
 *   counts an attempt and sets the lease; PostgreSQL claims with `FOR UPDATE SKIP LOCKED` so any number of workers
 *   on any hosts take distinct rows without waiting on each other; SQLite (one worker process) claims with a
 *   compare-and-set update.
 * - Every later write (heartbeat, result, retry, release) is conditional on `leaseOwner = owner AND status =
 *   RUNNING` (`ownedBy`), so a worker whose lease was taken over can no longer touch the row.
 * - Times come from the worker's clock; hosts sharing a PostgreSQL queue need synchronised clocks (NTP), and the
 *   lease should be many times larger than any skew.
 */
export class LeaseClaimer {
  private readonly delegate: LeaseDelegate;

  constructor(
    private readonly prisma: Db,
    private readonly provider: DbProvider,
    private readonly table: LeaseTable,
    private readonly leaseMs: number,
  ) {
    this.delegate = delegateOf(prisma, table);
  }

  async claim(owner: string): Promise<LeasedRow | null> {
    const now = new Date();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const row =
      this.provider === 'postgresql'
        ? await this.claimPostgres(owner, now, leaseUntil)
        : await this.claimCas(owner, now, leaseUntil);
    return row ? { ...row, owner } : null;
  }

  private async claimPostgres(owner: string, now: Date, leaseUntil: Date): Promise<Claimed | null> {
    // The table name is one of two constants, never input.
    const table = Prisma.raw(`"${this.table}"`);
    const rows = await this.prisma.$queryRaw<Claimed[]>`
      UPDATE ${table}
         SET "status" = 'RUNNING', "attempts" = "attempts" + 1, "leaseOwner" = ${owner},
             "leaseExpiresAt" = ${leaseUntil}, "startedAt" = ${now}
       WHERE "id" = (
         SELECT "id" FROM ${table}
          WHERE ("status" = 'QUEUED' AND "runAfter" <= ${now})
             OR ("status" = 'RUNNING' AND "leaseExpiresAt" < ${now})
          ORDER BY "runAfter", "createdAt", "id"
          LIMIT 1
          FOR UPDATE SKIP LOCKED)
      RETURNING "id", "studyId", "attempts", "maxAttempts"`;
    return rows[0] ?? null;
  }

  private async claimCas(owner: string, now: Date, leaseUntil: Date): Promise<Claimed | null> {
    const claimable = {
      OR: [
        { status: 'QUEUED', runAfter: { lte: now } },
        { status: 'RUNNING', leaseExpiresAt: { lt: now } },
      ],
    };
    // A candidate someone else took between the read and the write fails the conditional update; try the next.
    for (let tries = 0; tries < 5; tries += 1) {
      const candidate = await this.delegate.findFirst({
        where: claimable,
        orderBy: [{ runAfter: 'asc' }, { createdAt: 'asc' }, { id: 'asc' }],
        select: { id: true },
      });
      if (!candidate) return null;
      const taken = await this.delegate.updateMany({
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
        return this.delegate.findUniqueOrThrow({
          where: { id: candidate.id },
          select: { id: true, studyId: true, attempts: true, maxAttempts: true },
        });
      }
    }
    return null;
  }

  /** Renews the lease; false when the row is no longer this worker's (taken over after an expiry, or finished). */
  async heartbeat(row: LeasedRow): Promise<boolean> {
    const renewed = await this.delegate.updateMany({
      where: ownedBy(row),
      data: { leaseExpiresAt: new Date(Date.now() + this.leaseMs) },
    });
    return renewed.count === 1;
  }
}

/** The condition every write after a claim carries: the row is still RUNNING under this worker's lease. */
export function ownedBy(row: LeasedRow): { id: string; leaseOwner: string; status: 'RUNNING' } {
  return { id: row.id, leaseOwner: row.owner, status: 'RUNNING' };
}
