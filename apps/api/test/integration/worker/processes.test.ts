import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudyEvents } from '../../../src/events/create-study-events.js';
import type { ClosableStudyEvents } from '../../../src/events/postgres-study-events.js';
import { enqueueStudyAnalysis } from '../../../src/queue/enqueue.js';
import { createUser } from '../../factories/index.js';
import { storeSynthStudy } from '../../factories/stored-study.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import {
  buildTestModels,
  collect,
  registerModel,
  spawnWorker,
  type WorkerProcess,
  waitFor,
  wsClient,
} from './worker-harness.js';

/**
 * The worker as `npm run worker` runs it: its own process, configured by environment, talking to the API only
 * through the database (jobs) and the event channel (results reach the API's subscribers).
 */
let models: Awaited<ReturnType<typeof buildTestModels>>;
beforeAll(async () => {
  models = await buildTestModels();
}, 180_000);
afterAll(async () => {
  await models?.cleanup();
});

const running: WorkerProcess[] = [];
afterAll(async () => {
  for (const w of running) if (w.child.exitCode === null) w.child.kill('SIGKILL');
});

describe.each(PROVIDERS)('worker processes on %s', (provider) => {
  let t: TestApi;
  let events: ClosableStudyEvents;
  let storageDir: string;
  let token = '';

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'ich-worker-proc-'));
    t = await startApi(provider, {
      events: (db) => {
        events = createStudyEvents(db, { databaseUrl: db.url, pollMs: 50 });
        return events;
      },
    });
    await registerModel(t.prisma, provider, models.a);
    const c = await createUser(t.prisma, { role: 'CLINICIAN' });
    token = await t.login(c.user.email, c.password);
  }, 60_000);
  afterAll(async () => {
    await events?.close();
    await t?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: t.databaseUrl,
    STORAGE_DIR: storageDir,
    WORKER_POLL_MS: '50',
    WORKER_LEASE_SECONDS: '2',
    WORKER_RETRY_BACKOFF_SECONDS: '0',
    EVENTS_POLL_MS: '50',
    ...extra,
  });
  const start = (extra?: Record<string, string>) => {
    const w = spawnWorker(env(extra));
    running.push(w);
    return w;
  };

  it('a worker SIGKILLed mid-job leaves a job that another worker finishes, with exactly one StudyPrediction', async () => {
    // Big enough that the kill lands while the job runs (decoding and inference take well over a second).
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 120, size: 128 });
    const client = wsClient(t.url, { token });
    const sub = collect<{ studyUpdated: { status: string } }>(
      client,
      'subscription($id: ID!) { studyUpdated(id: $id) { status } }',
      { id: stored.study.id },
    );
    const first = start();
    await first.ready;
    const { jobId } = await t.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, stored.study.id));
    await waitFor('the first worker to claim the job', async () => {
      const job = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: jobId } });
      return job.status === 'RUNNING';
    });
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await t.prisma.studyPrediction.count({ where: { studyId: stored.study.id } })).toBe(0);

    const second = start();
    const job = await waitFor(
      'the second worker to finish the job',
      async () => {
        const j = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: jobId } });
        return j.status === 'DONE' ? j : null;
      },
      90_000,
    );
    expect(job.attempts).toBe(2);
    expect(await t.prisma.studyPrediction.count({ where: { studyId: stored.study.id } })).toBe(1);
    const prediction = await t.prisma.studyPrediction.findFirstOrThrow({ where: { studyId: stored.study.id } });
    expect(prediction.jobId).toBe(jobId);
    expect(await t.prisma.slicePrediction.count({ where: { studyPredictionId: prediction.id } })).toBe(120);
    // Its audit event committed with it (same transaction): there the moment the job reads DONE, exactly once.
    const analyzed = await t.prisma.auditEvent.findMany({
      where: { action: 'study.analyze', studyId: stored.study.id, outcome: 'SUCCESS' },
    });
    expect(analyzed.map((e) => e.resourceId)).toEqual([prediction.id]);
    // The result crossed from the worker process to this API process's subscribers.
    await waitFor('the DONE event from the other process', async () =>
      sub.results.some((r) => r.data?.studyUpdated.status === 'DONE'),
    );
    client.dispose();

    // SIGTERM when idle: exits cleanly.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it('SIGTERM mid-job releases the job without counting the attempt, and the next worker runs it', async () => {
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 120, size: 128 });
    // No grace: the running job cannot finish in time, so it is released.
    const first = start({ WORKER_SHUTDOWN_GRACE_SECONDS: '0' });
    await first.ready;
    const { jobId } = await t.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, stored.study.id));
    await waitFor('the claim', async () => {
      const job = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: jobId } });
      return job.status === 'RUNNING';
    });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('released for another worker');
    const released = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: jobId } });
    expect(released).toMatchObject({ status: 'QUEUED', attempts: 0, leaseOwner: null });
    expect((await t.prisma.study.findUniqueOrThrow({ where: { id: stored.study.id } })).status).toBe('QUEUED');

    const second = start();
    const done = await waitFor(
      'the next worker to finish it',
      async () => {
        const j = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: jobId } });
        return j.status === 'DONE' ? j : null;
      },
      90_000,
    );
    expect(done.attempts).toBe(1);
    expect(await t.prisma.studyPrediction.count({ where: { studyId: stored.study.id } })).toBe(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 180_000);

  it.runIf(provider === 'postgresql')(
    'two worker processes on 20 queued studies finish all of them, each exactly once',
    async () => {
      const workers = [start(), start()];
      await Promise.all(workers.map((w) => w.ready));
      const studies = [];
      for (let i = 0; i < 20; i += 1) studies.push(await storeSynthStudy(t.prisma, storageDir, { slices: 4 }));
      await Promise.all(studies.map((s) => t.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, s.study.id))));
      const ids = studies.map((s) => s.study.id);
      await waitFor(
        'all 20 studies done',
        async () => (await t.prisma.study.count({ where: { id: { in: ids }, status: 'DONE' } })) === 20,
        120_000,
      );
      const jobs = await t.prisma.inferenceJob.findMany({ where: { studyId: { in: ids } } });
      expect(jobs).toHaveLength(20);
      expect(jobs.every((j) => j.status === 'DONE' && j.attempts === 1)).toBe(true);
      const predictions = await t.prisma.studyPrediction.groupBy({
        by: ['studyId'],
        where: { studyId: { in: ids } },
        _count: { _all: true },
      });
      expect(predictions).toHaveLength(20);
      expect(predictions.every((p) => p._count._all === 1)).toBe(true);
      // Both processes took part (SKIP LOCKED hands them different jobs).
      await t.api.audit.flush();
      const audits = await t.prisma.auditEvent.findMany({ where: { action: 'study.analyze', studyId: { in: ids } } });
      const byWorker = new Set(audits.map((a) => (JSON.parse(a.details) as { worker: string }).worker));
      expect(byWorker.size).toBe(2);
      for (const w of workers) w.child.kill('SIGTERM');
      expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
    },
    180_000,
  );
});
