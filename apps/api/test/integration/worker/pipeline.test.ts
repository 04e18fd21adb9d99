import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudyEvents } from '../../../src/events/create-study-events.js';
import type { ClosableStudyEvents } from '../../../src/events/postgres-study-events.js';
import { enqueueStudyAnalysis } from '../../../src/queue/enqueue.js';
import type { InferenceWorker } from '../../../src/worker/worker.js';
import { createUser } from '../../factories/index.js';
import { storeSynthStudy } from '../../factories/stored-study.js';
import { codes, PROVIDERS, startApi, type TestApi } from '../api/harness.js';
import { buildTestModels, collect, registerModel, startWorker, waitFor, wsClient } from './worker-harness.js';

let models: Awaited<ReturnType<typeof buildTestModels>>;
beforeAll(async () => {
  models = await buildTestModels();
}, 180_000);
afterAll(async () => {
  await models?.cleanup();
});

const STUDY = `query($id: ID!) { study(id: $id) {
  status triage priority anyScore positiveLabels
  failure { code message attempts }
  prediction { engine durationMs modelVersion { id version } slices { sliceIndex instanceId any } }
} }`;

describe.each(PROVIDERS)('inference worker on %s', (provider) => {
  let t: TestApi;
  let events: ClosableStudyEvents;
  let storageDir: string;
  let worker: InferenceWorker;
  let clinicianToken = '';
  let adminToken = '';
  const modelIds = { a: '', b: '' };

  beforeAll(async () => {
    storageDir = await mkdtemp(path.join(tmpdir(), 'ich-worker-storage-'));
    t = await startApi(provider, {
      events: (db) => {
        events = createStudyEvents(db, { databaseUrl: db.url, pollMs: 50 });
        return events;
      },
    });
    modelIds.a = (await registerModel(t.prisma, provider, models.a)).id;
    modelIds.b = (await registerModel(t.prisma, provider, models.b)).id;
    const c = await createUser(t.prisma, { role: 'CLINICIAN' });
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    clinicianToken = await t.login(c.user.email, c.password);
    adminToken = await t.login(a.user.email, a.password);
    worker = startWorker(t.prisma, provider, t.databaseUrl, storageDir, events);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop(2_000);
    await events?.close();
    await t?.close();
    await rm(storageDir, { recursive: true, force: true });
  });

  const queue = async (studyId: string) => t.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, studyId));

  it('analyzes a stored synthetic study: slice predictions in slice order, a StudyPrediction, a studyUpdated event', async () => {
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 8, bleed: 'subdural' });
    const client = wsClient(t.url, { token: clinicianToken });
    const sub = collect<{ studyUpdated: { status: string; prediction: { engine: string } | null } }>(
      client,
      'subscription($id: ID!) { studyUpdated(id: $id) { status prediction { engine } } }',
      { id: stored.study.id },
    );
    const feed = collect<{ worklistUpdated: { kind: string; status: string; study: { id: string } } }>(
      client,
      'subscription { worklistUpdated { kind status study { id } } }',
    );
    // Subscriptions are live once the server has read the study; give the handshake a moment.
    await waitFor('subscription audit', () =>
      t.prisma.auditEvent.findFirst({ where: { action: 'study.read', resourceId: stored.study.id } }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const queued = await queue(stored.study.id);
    expect(queued.created).toBe(true);

    await waitFor('studyUpdated with the result', async () =>
      sub.results.some((r) => r.data?.studyUpdated.status === 'DONE' && r.data.studyUpdated.prediction),
    );
    expect(sub.results.map((r) => r.data?.studyUpdated.status)).toEqual(expect.arrayContaining(['PROCESSING', 'DONE']));
    await waitFor('worklist RESULT event', async () =>
      feed.results.some(
        (r) => r.data?.worklistUpdated.kind === 'RESULT' && r.data.worklistUpdated.study.id === stored.study.id,
      ),
    );
    client.dispose();

    const r = await t.gql<{
      study: {
        status: string;
        triage: boolean;
        priority: number;
        anyScore: number;
        positiveLabels: string[];
        prediction: {
          engine: string;
          durationMs: number;
          modelVersion: { id: string };
          slices: { sliceIndex: number; instanceId: string; any: number }[];
        };
      };
    }>(STUDY, { id: stored.study.id }, { token: clinicianToken });
    expect(r.errors).toBeUndefined();
    const study = r.data!.study;
    expect(study.status).toBe('DONE');
    expect(study.prediction.engine).toBe('onnx');
    expect(study.prediction.durationMs).toBeGreaterThan(0);
    expect(study.prediction.modelVersion.id).toBe(modelIds.a);
    expect(study.priority).toBe(study.triage ? 2 : 1);
    expect(study.anyScore).toBeCloseTo(Math.max(...study.prediction.slices.map((s) => s.any)), 5);
    // One per slice, in slice order: instance numbers run monotonically along the series (synth numbers them in
    // position order), whatever order the rows were inserted in.
    const slices = study.prediction.slices;
    expect(slices.map((s) => s.sliceIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const numberOf = new Map(stored.instances.map((i) => [i.id, i.instanceNumber]));
    const numbers = slices.map((s) => numberOf.get(s.instanceId)!);
    expect(new Set(numbers).size).toBe(8);
    const ascending = [...numbers].sort((x, y) => x - y);
    expect([ascending, [...ascending].reverse()]).toContainEqual(numbers);

    const job = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: queued.jobId } });
    expect(job).toMatchObject({ status: 'DONE', attempts: 1, leaseOwner: null });
    expect(await t.prisma.studyPrediction.count({ where: { studyId: stored.study.id } })).toBe(1);
    await t.api.audit.flush();
    expect(
      await t.prisma.auditEvent.findFirst({
        where: { action: 'study.analyze', studyId: stored.study.id, actorType: 'SYSTEM' },
      }),
    ).not.toBeNull();
  });

  it('retries a failing job and ends FAILED with the reason visible in study.failure', async () => {
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 3 });
    const victim = await t.prisma.instance.findFirstOrThrow({ where: { seriesId: stored.series.id } });
    await unlink(path.join(storageDir, victim.storageKey));
    const { jobId } = await queue(stored.study.id);
    const job = await waitFor('the job to fail for good', async () => {
      const j = await t.prisma.inferenceJob.findUniqueOrThrow({ where: { id: jobId } });
      return j.status === 'FAILED' ? j : null;
    });
    expect(job.attempts).toBe(job.maxAttempts);
    const r = await t.gql<{ study: { status: string; failure: { code: string; message: string; attempts: number } } }>(
      STUDY,
      { id: stored.study.id },
      { token: clinicianToken },
    );
    expect(r.data?.study.status).toBe('FAILED');
    expect(r.data?.study.failure).toMatchObject({ code: 'NOT_FOUND', attempts: job.maxAttempts });
    expect(r.data?.study.failure.message).toContain(victim.storageKey);
    expect(await t.prisma.studyPrediction.count({ where: { studyId: stored.study.id } })).toBe(0);
  });

  it('swaps the model when an admin activates another version', async () => {
    const activated = await t.gql<{ activateModel: { id: string } }>(
      'mutation($id: ID!) { activateModel(id: $id) { id } }',
      { id: modelIds.b },
      { token: adminToken },
    );
    expect(activated.errors).toBeUndefined();
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 3 });
    await queue(stored.study.id);
    await waitFor('the result', () => t.prisma.studyPrediction.findFirst({ where: { studyId: stored.study.id } }));
    const prediction = await t.prisma.studyPrediction.findFirstOrThrow({ where: { studyId: stored.study.id } });
    expect(prediction.modelVersionId).toBe(modelIds.b);
  });

  it('queues a study exactly once under concurrent enqueues', async () => {
    await worker.stop(5_000);
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 2 });
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, () => t.prisma.$transaction((tx) => enqueueStudyAnalysis(tx, stored.study.id))),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok.length).toBe(12);
    expect(ok.filter((r) => r.value.created).length).toBe(1);
    expect(await t.prisma.inferenceJob.count({ where: { studyId: stored.study.id, status: 'QUEUED' } })).toBe(1);
    worker = startWorker(t.prisma, provider, t.databaseUrl, storageDir, events);
  });

  it('refuses anonymous subscriptions and checks scopes like queries', async () => {
    const stored = await storeSynthStudy(t.prisma, storageDir, { slices: 1 });
    const anonymous = wsClient(t.url);
    const refused = collect(anonymous, 'subscription { worklistUpdated { kind } }');
    const reason = (await refused.closed) as { code?: number };
    expect(reason.code).toBe(4403);
    anonymous.dispose();

    // A cookie on the upgrade request, as a browser sends it through the web origin.
    const cookieClient = wsClient(t.url, { headers: { cookie: `ich_session=${clinicianToken}` } });
    const allowed = collect<{ studyUpdated: { status: string } }>(
      cookieClient,
      'subscription($id: ID!) { studyUpdated(id: $id) { status } }',
      { id: stored.study.id },
    );
    await waitFor('the subscription read', () =>
      t.prisma.auditEvent.findFirst({ where: { action: 'study.read', resourceId: stored.study.id } }),
    );
    await new Promise((r) => setTimeout(r, 100));
    await queue(stored.study.id);
    await waitFor('an event over the cookie-authenticated socket', async () => allowed.results.length > 0);
    expect(allowed.results[0]?.errors).toBeUndefined();
    cookieClient.dispose();

    // A token without read:studies is refused per operation with the queries' code.
    const created = await t.gql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "uploader", scopes: ["write:uploads"] }) { token } }',
      {},
      { token: clinicianToken },
    );
    expect(codes(created)).toEqual([]);
    const scoped = wsClient(t.url, { token: created.data!.createApiToken.token });
    const forbidden = collect(scoped, 'subscription { worklistUpdated { kind } }');
    await forbidden.closed;
    expect(forbidden.results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    scoped.dispose();

    // A browser page on another origin cannot open one with the user's cookie.
    const foreign = wsClient(t.url, {
      headers: { cookie: `ich_session=${clinicianToken}`, origin: 'https://evil.example' },
    });
    const blocked = collect(foreign, 'subscription { worklistUpdated { kind } }');
    expect(await blocked.closed).toBeTruthy();
    expect(blocked.results).toEqual([]);
    foreign.dispose();
  });
});
