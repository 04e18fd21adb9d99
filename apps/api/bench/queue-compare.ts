/**
 * The inference queue beside the two maintained PostgreSQL job queues the brief names, on the same workload, in one
 * run (a benchmark, not a test): `npx tsx bench/queue-compare.ts` (part of `npm run bench -w @ich/api`).
 *
 * - ours: JobQueue on the InferenceJob table (FOR UPDATE SKIP LOCKED claim with a lease, NOTIFY trigger wake-up),
 *   a job completed the way the worker completes one (conditional on the lease);
 * - graphile-worker 0.16 (LISTEN/NOTIFY wake-up, SKIP LOCKED claims), pollInterval 2 s as a fallback;
 * - pg-boss 10 (the last release for Node 20; it polls, at its minimum interval of 0.5 s).
 *
 * Two figures per system, each on a fresh PostgreSQL database:
 *   1. wake-up: a job committed by a producer connection → the idle worker's handler starts (SAMPLES jobs, random
 *      gaps), p50/p95;
 *   2. throughput: JOBS no-op jobs already queued, drained by two workers (each with its own connections, as two
 *      processes would have), jobs/s from start to the last completion.
 * Prints a table and writes JSON to bench-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPostgresDatabase } from '@ich/testkit';
import { Logger, makeWorkerUtils, run as runGraphileWorker } from 'graphile-worker';
import PgBoss from 'pg-boss';
import { loadConfig } from '../src/config/env.js';
import { createDatabaseClient, prepareDatabase } from '../src/db/index.js';
import { enqueueStudyAnalysis } from '../src/queue/enqueue.js';
import { type ClaimedJob, JobQueue } from '../src/queue/job-queue.js';
import { postgresWakeup } from '../src/queue/wakeup.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SAMPLES = Number(process.env['BENCH_SAMPLES'] ?? 30);
const JOBS = Number(process.env['BENCH_JOBS'] ?? 500);
const defaults = loadConfig({});
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gap = () => sleep(20 + Math.random() * 280);

interface Figures {
  system: string;
  wakeMs: number[];
  jobsPerSecond: number;
}

/** A promise and its resolver, for "the handler has started". */
function signal(): { promise: Promise<number>; fire: () => void } {
  let fire = () => {};
  const promise = new Promise<number>((resolve) => {
    fire = () => resolve(performance.now());
  });
  return { promise, fire };
}

async function ours(): Promise<Figures> {
  const target = await createPostgresDatabase('bench_qc_ours');
  const producer = await prepareDatabase(target.url);
  const workers = [await createDatabaseClient(target.url), await createDatabaseClient(target.url)];
  try {
    const patient = await producer.prisma.patient.create({ data: { patientId: 'BENCH' } });
    const newStudy = (uid: string) =>
      producer.prisma.study.create({ data: { studyInstanceUid: uid, patientId: patient.id } });
    const queues = workers.map((w) => new JobQueue(w.prisma, w.provider, defaults.worker));
    /** What the worker's store-result does to finish a job: DONE only while this worker holds the lease. */
    const complete = (w: (typeof workers)[number], job: ClaimedJob) =>
      w.prisma.inferenceJob.updateMany({
        where: { id: job.id, leaseOwner: job.owner, status: 'RUNNING' },
        data: { status: 'DONE', finishedAt: new Date(), leaseOwner: null, leaseExpiresAt: null },
      });

    // 1. Wake-up: one idle worker loop, as src/worker runs it.
    const wakeup = postgresWakeup(target.url);
    await wakeup.wait(50);
    const wakeMs: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      const study = await newStudy(`1.2.826.0.1.${i}`);
      const claimed = (async () => {
        for (;;) {
          const job = await queues[0]!.claim('bench-0');
          if (job) {
            const at = performance.now();
            await complete(workers[0]!, job);
            return at;
          }
          await wakeup.wait(defaults.worker.pollMs);
        }
      })();
      await gap();
      const t0 = performance.now();
      await producer.prisma.$transaction(async (tx) => {
        await enqueueStudyAnalysis(tx, study.id);
      });
      wakeMs.push((await claimed) - t0);
    }
    await wakeup.close();

    // 2. Throughput: JOBS queued, two workers drain them.
    for (let i = 0; i < JOBS; i += 1) {
      const study = await newStudy(`1.2.826.0.2.${i}`);
      await enqueueStudyAnalysis(producer.prisma, study.id);
    }
    const started = performance.now();
    await Promise.all(
      queues.map(async (queue, n) => {
        for (;;) {
          const job = await queue.claim(`bench-${n}`);
          if (!job) return;
          await complete(workers[n]!, job);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const done = await producer.prisma.inferenceJob.count({ where: { status: 'DONE' } });
    if (done !== JOBS + SAMPLES) throw new Error(`ours: ${done} jobs done, expected ${JOBS + SAMPLES}`);
    return { system: 'ours: InferenceJob table (SKIP LOCKED + NOTIFY)', wakeMs, jobsPerSecond: JOBS / seconds };
  } finally {
    for (const w of workers) await w.close();
    await producer.close();
    await target.drop();
  }
}

async function graphileWorker(): Promise<Figures> {
  const target = await createPostgresDatabase('bench_qc_graphile');
  const utils = await makeWorkerUtils({ connectionString: target.url, logger: quietGraphileLogger() });
  try {
    await utils.migrate();
    let onJob: (() => void) | null = null;
    let completed = 0;
    const runner = await runGraphileWorker({
      connectionString: target.url,
      concurrency: 1,
      noHandleSignals: true,
      pollInterval: 2000,
      logger: quietGraphileLogger(),
      taskList: {
        bench: async () => {
          onJob?.();
          completed += 1;
        },
      },
    });
    await sleep(500);
    const wakeMs: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      await gap();
      const s = signal();
      onJob = s.fire;
      const t0 = performance.now();
      await utils.addJob('bench', { i });
      wakeMs.push((await s.promise) - t0);
    }
    onJob = null;
    await runner.stop();

    for (let i = 0; i < JOBS; i += 1) await utils.addJob('bench', { i });
    completed = 0;
    const all = signal();
    const task = async () => {
      completed += 1;
      if (completed === JOBS) all.fire();
    };
    const started = performance.now();
    const runners = await Promise.all(
      [0, 1].map(() =>
        runGraphileWorker({
          connectionString: target.url,
          concurrency: 1,
          noHandleSignals: true,
          pollInterval: 2000,
          logger: quietGraphileLogger(),
          taskList: { bench: task },
        }),
      ),
    );
    const finished = await all.promise;
    for (const r of runners) await r.stop();
    return {
      system: 'graphile-worker 0.16 (LISTEN/NOTIFY + SKIP LOCKED)',
      wakeMs,
      jobsPerSecond: JOBS / ((finished - started) / 1000),
    };
  } finally {
    await utils.release();
    await target.drop();
  }
}

function quietGraphileLogger() {
  // graphile-worker logs every job at info level; the bench prints its own table.
  return new Logger(() => () => {});
}

async function pgBoss(): Promise<Figures> {
  const target = await createPostgresDatabase('bench_qc_pgboss');
  const producer = new PgBoss({ connectionString: target.url, max: 2 });
  producer.on('error', (e) => console.error('pg-boss producer', e));
  try {
    await producer.start();
    await producer.createQueue('bench');
    const consumer = new PgBoss({ connectionString: target.url, max: 2, supervise: false, schedule: false });
    consumer.on('error', (e) => console.error('pg-boss consumer', e));
    await consumer.start();
    let onJob: (() => void) | null = null;
    await consumer.work('bench', { pollingIntervalSeconds: 0.5, batchSize: 1 }, async () => {
      onJob?.();
    });
    await sleep(600);
    const wakeMs: number[] = [];
    for (let i = 0; i < SAMPLES; i += 1) {
      await gap();
      const s = signal();
      onJob = s.fire;
      const t0 = performance.now();
      await producer.send('bench', { i });
      wakeMs.push((await s.promise) - t0);
    }
    await consumer.stop({ graceful: true, wait: true });

    for (let i = 0; i < JOBS; i += 1) await producer.send('bench', { i });
    let completed = 0;
    const all = signal();
    const workers = [0, 1].map(
      () => new PgBoss({ connectionString: target.url, max: 2, supervise: false, schedule: false }),
    );
    for (const w of workers) {
      w.on('error', (e) => console.error('pg-boss worker', e));
      await w.start();
    }
    const started = performance.now();
    for (const w of workers)
      await w.work('bench', { pollingIntervalSeconds: 0.5, batchSize: 1 }, async () => {
        completed += 1;
        if (completed === JOBS) all.fire();
      });
    const finished = await all.promise;
    for (const w of workers) await w.stop({ graceful: true, wait: true });
    return {
      system: 'pg-boss 10 (polling, min 0.5 s; SKIP LOCKED)',
      wakeMs,
      jobsPerSecond: JOBS / ((finished - started) / 1000),
    };
  } finally {
    await producer.stop({ graceful: false, wait: true }).catch(() => {});
    await target.drop();
  }
}

const results: Figures[] = [];
for (const system of [ours, graphileWorker, pgBoss]) results.push(await system());

console.log(
  `\nQueues on PostgreSQL, same workload: wake-up over ${SAMPLES} jobs (idle worker), throughput over ${JOBS} no-op jobs drained by 2 workers`,
);
const base = results[0]!;
console.table(
  results.map((r) => ({
    system: r.system,
    'wake-up p50 ms': Number(pct(r.wakeMs, 50).toFixed(1)),
    'wake-up p95 ms': Number(pct(r.wakeMs, 95).toFixed(1)),
    'jobs/s (2 workers)': Number(r.jobsPerSecond.toFixed(0)),
    'ours ÷ this (jobs/s)': Number((base.jobsPerSecond / r.jobsPerSecond).toFixed(2)),
  })),
);
const outDir = path.join(here, '..', 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, `queue-compare-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
  JSON.stringify(
    results.map((r) => ({ ...r, wakeP50Ms: pct(r.wakeMs, 50), wakeP95Ms: pct(r.wakeMs, 95) })),
    null,
    2,
  ),
);
process.exit(0);
