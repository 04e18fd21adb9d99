/**
 * Queue wake-up and cross-process event latency (a benchmark, not a test), on SQLite and PostgreSQL with default
 * settings: `npx tsx bench/queue-latency.ts` (part of `npm run bench -w @ich/api`).
 *   - wake-up: a job committed by one connection → claimed by an idle worker loop (JobQueue + its wake-up channel:
 *     NOTIFY trigger on PostgreSQL, WORKER_POLL_MS polling on SQLite). Reference: one claim query, no waiting.
 *   - events: a study event published by one channel instance → heard by another (LISTEN/NOTIFY on PostgreSQL,
 *     the StudyEventLog polled every EVENTS_POLL_MS on SQLite): the worker → API hop. Reference: in-process delivery.
 * Each channel instance uses its own connection(s), as a separate process would. Prints medians and p95 and
 * writes JSON to bench-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase, createSqliteDatabase } from '@ich/testkit';
import { loadConfig } from '../src/config/env.js';
import { createDatabaseClient, prepareDatabase } from '../src/db/index.js';
import { createStudyEvents } from '../src/events/create-study-events.js';
import { createLocalStudyEvents, type StudyEvent } from '../src/events/study-events.js';
import { enqueueStudyAnalysis } from '../src/queue/enqueue.js';
import { JobQueue } from '../src/queue/job-queue.js';
import { pollingWakeup, postgresWakeup } from '../src/queue/wakeup.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 30);
const defaults = loadConfig({});
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function measure(provider: 'sqlite' | 'postgresql') {
  const target =
    provider === 'sqlite' ? await createSqliteDatabase('bench-queue') : await createPostgresDatabase('bench_queue');
  const producer = await prepareDatabase(target.url);
  const consumer = await createDatabaseClient(target.url);
  try {
    const patient = await producer.prisma.patient.create({ data: { patientId: 'BENCH' } });
    const queue = new JobQueue(consumer.prisma, consumer.provider, defaults.worker);
    const wakeup = provider === 'postgresql' ? postgresWakeup(target.url) : pollingWakeup();
    await wakeup.wait(50);
    const wake: number[] = [];
    const claimOnly: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      const study = await producer.prisma.study.create({
        data: { studyInstanceUid: `1.2.${provider}.${i}`, patientId: patient.id },
      });
      // The idle worker's loop: claim, else sleep on the wake-up channel until a job is claimable.
      let t0 = 0;
      const claimed = (async () => {
        for (;;) {
          const job = await queue.claim('bench');
          if (job) return performance.now();
          await wakeup.wait(defaults.worker.pollMs);
        }
      })();
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 300));
      await producer.prisma.$transaction(async (tx) => {
        await enqueueStudyAnalysis(tx, study.id);
      });
      t0 = performance.now();
      wake.push((await claimed) - t0);
      const started = performance.now();
      await queue.claim('bench');
      claimOnly.push(performance.now() - started);
    }
    await wakeup.close();

    const publisher = createStudyEvents(producer, { databaseUrl: target.url, pollMs: defaults.eventsPollMs });
    const subscriber = createStudyEvents(consumer, { databaseUrl: target.url, pollMs: defaults.eventsPollMs });
    const local = createLocalStudyEvents();
    let heard: ((at: number) => void) | null = null;
    subscriber.subscribe(() => heard?.(performance.now()));
    local.subscribe(() => heard?.(performance.now()));
    await new Promise((r) => setTimeout(r, 500));
    const cross: number[] = [];
    const inProcess: number[] = [];
    const event = (): StudyEvent => ({
      kind: 'STATUS',
      studyId: 'bench',
      status: 'QUEUED',
      at: new Date().toISOString(),
    });
    for (let i = 0; i < SAMPLES; i += 1) {
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 200));
      const got = new Promise<number>((resolve) => {
        heard = resolve;
      });
      const t0 = performance.now();
      publisher.publish(event());
      cross.push((await got) - t0);
      const got2 = new Promise<number>((resolve) => {
        heard = resolve;
      });
      const t1 = performance.now();
      local.publish(event());
      inProcess.push((await got2) - t1);
    }
    await publisher.close();
    await subscriber.close();
    return { provider, wake, claimOnly, cross, inProcess };
  } finally {
    await consumer.close();
    await producer.close();
    await target.drop();
  }
}

const results = [await measure('sqlite'), await measure('postgresql')];
const table = results.flatMap((r) => [
  {
    provider: r.provider,
    path: 'wake-up: commit → claimed by idle worker',
    'p50 ms': pct(r.wake, 50),
    'p95 ms': pct(r.wake, 95),
  },
  {
    provider: r.provider,
    path: 'reference: one claim query',
    'p50 ms': pct(r.claimOnly, 50),
    'p95 ms': pct(r.claimOnly, 95),
  },
  {
    provider: r.provider,
    path: 'event: publish → other channel hears it',
    'p50 ms': pct(r.cross, 50),
    'p95 ms': pct(r.cross, 95),
  },
  {
    provider: r.provider,
    path: 'reference: in-process delivery',
    'p50 ms': pct(r.inProcess, 50),
    'p95 ms': pct(r.inProcess, 95),
  },
]);
console.log(
  `\nQueue wake-up and cross-process events, ${SAMPLES} samples each, defaults: WORKER_POLL_MS=${defaults.worker.pollMs}, EVENTS_POLL_MS=${defaults.eventsPollMs}`,
);
console.table(
  table.map((r) => ({ ...r, 'p50 ms': Number(r['p50 ms'].toFixed(2)), 'p95 ms': Number(r['p95 ms'].toFixed(2)) })),
);
const outDir = path.join(here, '..', 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, `queue-latency-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify(results, null, 2),
);
process.exit(0);
