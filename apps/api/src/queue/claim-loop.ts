import type { JobWakeup } from './wakeup.js';

/** After a failed claim (the database is down or not migrated yet): try again in a few seconds, not every poll. */
const CLAIM_ERROR_PAUSE_MS = 3_000;
/** Never 0: a due row another worker is claiming right now must not turn an idle loop into a busy one. */
const MIN_SLEEP_MS = 20;

/** What a claim loop runs on: one queue table's claim and the work done on each claimed row. */
export interface ClaimLoopSpec<T> {
  /** Loops running side by side, each holding at most one item. */
  concurrency: number;
  wakeup: JobWakeup;
  /** The longest an idle loop sleeps before it tries to claim again. */
  pollMs: number;
  /** The next claimable item (its lease taken), or null when none is. */
  claim(): Promise<T | null>;
  /** When the earliest queued item becomes claimable (a retry's backoff), so an idle loop wakes then. */
  nextRunAfter(): Promise<Date | null>;
  /** Called when a claim found nothing, before the loop sleeps. Must not throw. */
  idle?(): Promise<void>;
  process(item: T): Promise<void>;
  /** A claim threw; the loop pauses, then claims again. Must not throw. */
  claimFailed(error: unknown): void;
  /** `process(item)` threw; the loop goes on with the next claim. Must not throw. */
  processFailed(item: T, error: unknown): void;
}

/**
 * `concurrency` loops over one queue: each claims an item, processes it and claims again; when nothing is claimable
 * it sleeps on the wake-up channel until an item is queued, the poll interval passes or a retry falls due. stop()
 * ends the claiming and waits for the items in flight.
 */
export class ClaimLoop<T> {
  private running = false;
  private loops: Promise<void>[] = [];
  /** Resolves at stop(), so a sleeping loop ends even when the wake-up cannot wake it (still connecting). */
  private stopped: Promise<void> = Promise.resolve();
  private signalStop = () => {};

  constructor(private readonly spec: ClaimLoopSpec<T>) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.stopped = new Promise((resolve) => {
      this.signalStop = resolve;
    });
    this.loops = Array.from({ length: this.spec.concurrency }, () => this.loop());
  }

  /**
   * Stops claiming (sleeping loops end at once) and waits for the items in flight to finish, at most `graceMs` when
   * given. Returns whether every loop ended; after a grace ran out the remaining items go on running.
   */
  async stop(graceMs?: number): Promise<boolean> {
    this.running = false;
    this.signalStop();
    await this.spec.wakeup.close();
    const all = Promise.all(this.loops).then(() => true);
    if (graceMs === undefined) return all;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      all,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), graceMs);
      }),
    ]);
    clearTimeout(timer);
    return finished;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let item: T | null;
      try {
        item = await this.spec.claim();
      } catch (error) {
        this.spec.claimFailed(error);
        await this.sleep(CLAIM_ERROR_PAUSE_MS);
        continue;
      }
      if (item === null) {
        await this.spec.idle?.();
        await this.sleep(await this.idleMs());
        continue;
      }
      try {
        await this.spec.process(item);
      } catch (error) {
        this.spec.processFailed(item, error);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (!this.running) return;
    await Promise.race([this.spec.wakeup.wait(ms), this.stopped]);
  }

  /** The poll interval, or less when a retry becomes due sooner. */
  private async idleMs(): Promise<number> {
    const poll = this.spec.pollMs;
    const next = await this.spec.nextRunAfter().catch(() => null);
    if (!next) return poll;
    return Math.max(MIN_SLEEP_MS, Math.min(poll, next.getTime() - Date.now()));
  }
}
