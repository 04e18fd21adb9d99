import type { Db } from '../db/records.js';
import type { StudyEvent, StudyEvents } from '../events/study-events.js';
import { finalizeStudy } from './finalize-study.js';

export interface StableSweepOptions {
  prisma: Db;
  events: StudyEvents;
  /** A study is finished once no instance has arrived for this long. */
  stableMs: number;
  /** How often to look; default a quarter of stableMs, between 100 ms and 1 s. */
  intervalMs?: number;
  log?: (line: string) => void;
}

const BATCH = 50;

/**
 * STOW-RS has no "end of study": a PACS sends instances over many requests. STOW stamps Study.lastInstanceAt; this
 * sweep finalizes (queues or marks not eligible) studies quiet for STABLE_SECONDS. Every API process runs one, so
 * the claim is in the database: clearing lastInstanceAt only where it still holds the value read succeeds for one
 * process only, and fails when another instance arrived in between (the study is then not stable yet).
 */
export class StableStudySweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly options: StableSweepOptions) {}

  start(): void {
    if (this.timer) return;
    const every = this.options.intervalMs ?? Math.min(1000, Math.max(100, this.options.stableMs / 4));
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error: unknown) => {
          this.options.log?.(`stable-study sweep failed: ${String((error as Error)?.message ?? error)}`);
          return 0;
        })
        .finally(() => {
          this.running = null;
        });
    }, every);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass; returns how many studies this process finalized. */
  async sweep(now: Date = new Date()): Promise<number> {
    const { prisma, stableMs, events } = this.options;
    const due = await prisma.study.findMany({
      where: { lastInstanceAt: { lte: new Date(now.getTime() - stableMs) } },
      select: { id: true, lastInstanceAt: true },
      orderBy: { lastInstanceAt: 'asc' },
      take: BATCH,
    });
    let finalized = 0;
    for (const study of due) {
      const claimed = await prisma.$transaction(async (tx): Promise<{ event: StudyEvent | null } | null> => {
        const claim = await tx.study.updateMany({
          where: { id: study.id, lastInstanceAt: study.lastInstanceAt },
          data: { lastInstanceAt: null },
        });
        if (claim.count !== 1) return null;
        const change = await finalizeStudy(tx as unknown as Db, study.id);
        const at = new Date().toISOString();
        return { event: change.changed ? { kind: 'STATUS', studyId: study.id, status: change.status, at } : null };
      });
      if (!claimed) continue;
      finalized += 1;
      if (claimed.event) events.publish(claimed.event);
    }
    return finalized;
  }
}
