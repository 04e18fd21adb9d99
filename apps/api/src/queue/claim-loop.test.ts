import { describe, expect, it, vi } from 'vitest';
import { ClaimLoop, type ClaimLoopSpec } from './claim-loop.js';
import type { JobWakeup } from './wakeup.js';

const LONG_POLL_MS = 60_000;

/** A wake-up the test rings; `wakesOnClose: false` plays one that cannot wake its sleepers (still connecting). */
function testWakeup({ wakesOnClose = true } = {}) {
  const sleepers = new Set<() => void>();
  const waits: number[] = [];
  const ring = () => {
    for (const done of [...sleepers]) done();
  };
  const wakeup: JobWakeup = {
    wait: (ms) =>
      new Promise((resolve) => {
        waits.push(ms);
        const done = () => {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        sleepers.add(done);
      }),
    close: async () => {
      if (wakesOnClose) ring();
    },
  };
  return { wakeup, waits, ring, sleeping: () => sleepers.size };
}

/** A queue of items handed out one claim at a time; null once empty. */
function spec(items: string[], wakeup: JobWakeup, overrides: Partial<ClaimLoopSpec<string>> = {}) {
  const queue = [...items];
  const processed: string[] = [];
  const failures: { item: string; error: unknown }[] = [];
  const claimErrors: unknown[] = [];
  let claims = 0;
  const s: ClaimLoopSpec<string> = {
    concurrency: 1,
    wakeup,
    pollMs: LONG_POLL_MS,
    claim: async () => {
      claims += 1;
      return queue.shift() ?? null;
    },
    nextRunAfter: async () => null,
    process: async (item) => {
      processed.push(item);
    },
    claimFailed: (error) => claimErrors.push(error),
    processFailed: (item, error) => failures.push({ item, error }),
    ...overrides,
  };
  return { spec: s, queue, processed, failures, claimErrors, claims: () => claims };
}

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ClaimLoop', () => {
  it('stop() ends an idle loop at once, without another claim', async () => {
    const w = testWakeup();
    const t = spec([], w.wakeup);
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(w.sleeping()).toBe(1));
    const started = Date.now();
    expect(await loop.stop()).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(t.claims()).toBe(1);
  });

  it('stop() ends an idle loop even when the wake-up cannot wake it', async () => {
    const w = testWakeup({ wakesOnClose: false });
    const t = spec([], w.wakeup);
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(w.sleeping()).toBe(1));
    const started = Date.now();
    expect(await loop.stop()).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(t.claims()).toBe(1);
    w.ring();
  });

  it('stop() waits for the item in flight and claims nothing after it', async () => {
    const w = testWakeup();
    const gate = deferred();
    const t = spec(['a', 'b'], w.wakeup, {
      process: async (item) => {
        await gate.promise;
        t.processed.push(item);
      },
    });
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(t.claims()).toBe(1));
    let stopped = false;
    const stopping = loop.stop().then((finished) => {
      stopped = true;
      return finished;
    });
    await tick();
    expect(stopped).toBe(false);
    gate.resolve();
    expect(await stopping).toBe(true);
    expect(t.processed).toEqual(['a']);
    expect(t.claims()).toBe(1);
    expect(t.queue).toEqual(['b']);
  });

  it('stop(graceMs) gives up waiting after the grace and reports it', async () => {
    const w = testWakeup();
    const gate = deferred();
    const t = spec(['a'], w.wakeup, { process: () => gate.promise });
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(t.claims()).toBe(1));
    expect(await loop.stop(50)).toBe(false);
    gate.resolve();
    await tick();
    expect(t.claims()).toBe(1);
  });

  it('a wake-up makes an idle loop claim before the poll interval', async () => {
    const w = testWakeup();
    const t = spec([], w.wakeup);
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(w.sleeping()).toBe(1));
    expect(w.waits).toEqual([LONG_POLL_MS]);
    t.queue.push('queued');
    w.ring();
    await vi.waitFor(() => expect(t.processed).toEqual(['queued']), { timeout: 1_000 });
    await loop.stop();
  });

  it('sleeps only until the next retry falls due, never less than 20 ms', async () => {
    const w = testWakeup();
    let next: Date | null = new Date(Date.now() + 5_000);
    const t = spec([], w.wakeup, { nextRunAfter: async () => next });
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(w.waits).toHaveLength(1));
    expect(w.waits[0]).toBeGreaterThan(4_000);
    expect(w.waits[0]).toBeLessThanOrEqual(5_000);
    next = new Date(Date.now() - 1_000);
    w.ring();
    await vi.waitFor(() => expect(w.waits.length).toBeGreaterThanOrEqual(2));
    expect(w.waits[1]).toBe(20);
    await loop.stop();
  });

  it('an item that throws is reported and the loop goes on with the next', async () => {
    const w = testWakeup();
    const boom = new Error('boom');
    const t = spec(['bad', 'good'], w.wakeup, {
      process: async (item) => {
        if (item === 'bad') throw boom;
        t.processed.push(item);
      },
    });
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(t.processed).toEqual(['good']));
    expect(t.failures).toEqual([{ item: 'bad', error: boom }]);
    await loop.stop();
  });

  it('a failed claim is reported, pauses, and the loop claims again', async () => {
    const w = testWakeup();
    const down = new Error('database down');
    let failing = true;
    const t = spec(['a'], w.wakeup);
    const claim = t.spec.claim;
    t.spec.claim = async () => {
      if (failing) throw down;
      return claim();
    };
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(w.sleeping()).toBe(1));
    expect(t.claimErrors).toEqual([down]);
    expect(w.waits).toEqual([3_000]);
    failing = false;
    w.ring();
    await vi.waitFor(() => expect(t.processed).toEqual(['a']));
    await loop.stop();
  });

  it('runs `concurrency` loops, each holding one item', async () => {
    const w = testWakeup();
    const gate = deferred();
    let inFlight = 0;
    let most = 0;
    const t = spec(['a', 'b', 'c'], w.wakeup, {
      concurrency: 2,
      process: async (item) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await gate.promise;
        inFlight -= 1;
        t.processed.push(item);
      },
    });
    const loop = new ClaimLoop(t.spec);
    loop.start();
    await vi.waitFor(() => expect(inFlight).toBe(2));
    await tick();
    expect(t.queue).toEqual(['c']);
    gate.resolve();
    await vi.waitFor(() => expect(t.processed).toHaveLength(3));
    expect(most).toBe(2);
    await loop.stop();
  });
});
