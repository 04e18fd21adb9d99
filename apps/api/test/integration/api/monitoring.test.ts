import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '@ich/prisma';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../../src/monitoring/accuracy.js';
import { createModelVersion, createStudy, createUser, modelCard } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const DAY = 86_400_000;
const PERFORMANCE = `query($id: ID!, $from: DateTime, $to: DateTime) {
  modelPerformance(modelVersionId: $id, from: $from, to: $to) {
    modelVersion { id }
    from to
    truePositives falsePositives falseNegatives trueNegatives reviewed unreviewed
    sensitivity { successes total estimate lower upper }
    specificity { successes total estimate lower upper }
    ppv { successes total estimate lower upper }
    targets { sensitivity specificity }
    checks { metric target minimumReviews total armed firing }
    alerts { metric target lowerBound estimate successes total }
  }
}`;

interface Perf {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
  reviewed: number;
  unreviewed: number;
  sensitivity: {
    successes: number;
    total: number;
    estimate: number | null;
    lower: number | null;
    upper: number | null;
  };
  specificity: {
    successes: number;
    total: number;
    estimate: number | null;
    lower: number | null;
    upper: number | null;
  };
  ppv: { successes: number; total: number; estimate: number | null; lower: number | null; upper: number | null };
  targets: { sensitivity: number; specificity: number } | null;
  checks: Array<{ metric: string; armed: boolean; firing: boolean; minimumReviews: number | null; total: number }>;
  alerts: Array<{ metric: string; target: number; lowerBound: number; successes: number; total: number }>;
}

/**
 * One study with one prediction of `modelVersionId` made at `at`, and the given reviews of it in order (written
 * straight to the tables: hundreds of these stay fast, and the link is what the review mutation records).
 */
async function seedCase(
  prisma: PrismaClient,
  spec: { modelVersionId: string; triage: boolean; at: Date; verdicts?: Array<'AGREE' | 'DISAGREE'>; reviewer: string },
) {
  const patient = await prisma.patient.create({ data: { patientId: `P-${randomUUID()}`, name: 'Doe^J' } });
  const study = await prisma.study.create({
    data: {
      studyInstanceUid: `2.25.${BigInt(`0x${randomUUID().replaceAll('-', '')}`)}`,
      patientId: patient.id,
      status: 'DONE',
      triage: spec.triage,
      priority: spec.triage ? 2 : 1,
      reviewed: (spec.verdicts ?? []).length > 0,
    },
  });
  const prediction = await addPrediction(prisma, study.id, spec.modelVersionId, spec.triage, spec.at);
  let t = spec.at.getTime();
  for (const verdict of spec.verdicts ?? []) {
    t += 60_000;
    await prisma.review.create({
      data: {
        studyId: study.id,
        studyPredictionId: prediction.id,
        reviewerId: spec.reviewer,
        verdict,
        createdAt: new Date(t),
      },
    });
  }
  return { study, prediction };
}

function addPrediction(prisma: PrismaClient, studyId: string, modelVersionId: string, triage: boolean, at: Date) {
  const p = triage ? 0.9 : 0.1;
  return prisma.studyPrediction.create({
    data: {
      studyId,
      modelVersionId,
      any: p,
      epidural: p,
      intraparenchymal: p,
      intraventricular: p,
      subarachnoid: p,
      subdural: p,
      triage,
      createdAt: at,
    },
  });
}

function expectProportion(got: Perf['sensitivity'], successes: number, total: number) {
  expect(got.successes).toBe(successes);
  expect(got.total).toBe(total);
  if (total === 0) {
    expect(got).toMatchObject({ estimate: null, lower: null, upper: null });
    return;
  }
  const interval = wilsonInterval(successes, total)!;
  expect(got.estimate).toBeCloseTo(successes / total, 12);
  expect(got.lower).toBeCloseTo(interval.lower, 12);
  expect(got.upper).toBeCloseTo(interval.upper, 12);
}

describe.each(PROVIDERS)('accuracy in use on %s', (provider) => {
  let t: TestApi;
  let adminToken = '';
  let clinicianToken = '';
  let reviewer = '';

  beforeAll(async () => {
    t = await startApi(provider);
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    const clinician = await createUser(t.prisma, { role: 'CLINICIAN' });
    reviewer = clinician.user.id;
    adminToken = await t.login(admin.user.email, admin.password);
    clinicianToken = await t.login(clinician.user.email, clinician.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function performance(id: string, from?: Date, to?: Date, token = adminToken): Promise<Perf> {
    const r = await t.gql<{ modelPerformance: Perf }>(
      PERFORMANCE,
      { id, from: from?.toISOString() ?? null, to: to?.toISOString() ?? null },
      { token },
    );
    if (!r.data) throw new Error(JSON.stringify(r.errors));
    return r.data.modelPerformance;
  }

  it('counts each study once by its latest prediction and latest review, inside the window and version only', async () => {
    const version = await createModelVersion(t.prisma);
    const other = await createModelVersion(t.prisma);
    const base = new Date('2026-06-01T00:00:00.000Z');
    const from = base;
    const to = new Date(base.getTime() + 30 * DAY);
    const at = (d: number) => new Date(base.getTime() + d * DAY);
    const v = version.id;
    const seed = async (n: number, triage: boolean, verdicts: Array<'AGREE' | 'DISAGREE'>, day = 3, mv = v) => {
      for (let i = 0; i < n; i += 1)
        await seedCase(t.prisma, { modelVersionId: mv, triage, at: at(day), verdicts, reviewer });
    };
    await seed(3, true, ['AGREE']); // TP
    await seed(1, true, ['DISAGREE']); // FP
    await seed(2, false, ['DISAGREE']); // FN
    await seed(5, false, ['AGREE']); // TN
    await seed(2, true, []); // unreviewed
    await seed(1, true, ['DISAGREE', 'AGREE']); // a changed mind: the latest review counts → TP
    await seed(2, false, ['DISAGREE'], -1); // before the window
    await seed(2, false, ['DISAGREE'], 30); // at `to`: the window is half-open
    await seed(3, true, ['DISAGREE'], 3, other.id); // another version
    // Re-analysed by the same version: the reviewed earlier prediction no longer speaks for the study.
    const { study } = await seedCase(t.prisma, {
      modelVersionId: v,
      triage: true,
      at: at(4),
      verdicts: ['AGREE'],
      reviewer,
    });
    await addPrediction(t.prisma, study.id, v, false, at(5));

    const perf = await performance(v, from, to);
    expect(perf).toMatchObject({
      truePositives: 4,
      falsePositives: 1,
      falseNegatives: 2,
      trueNegatives: 5,
      reviewed: 12,
      unreviewed: 3,
      targets: null,
      checks: [],
      alerts: [],
    });
    expectProportion(perf.sensitivity, 4, 6);
    expectProportion(perf.specificity, 5, 6);
    expectProportion(perf.ppv, 4, 5);

    // Nothing in an empty window: 0 of 0 has no estimate.
    const empty = await performance(v, at(40), at(50));
    expect(empty).toMatchObject({ reviewed: 0, unreviewed: 0 });
    expectProportion(empty.sensitivity, 0, 0);
  });

  it('serves the figures from one aggregate, however many studies there are', async () => {
    const version = await createModelVersion(t.prisma);
    const at = new Date('2026-07-01T00:00:00.000Z');
    const window = [new Date(at.getTime() - DAY), new Date(at.getTime() + DAY)] as const;
    await seedCase(t.prisma, { modelVersionId: version.id, triage: true, at, verdicts: ['AGREE'], reviewer });
    // The API process's background work uses the same counted client: stop the STOW-RS sweep (it polls every
    // 750 ms), finish the start-up audit verification, and settle the audit appender before and after each measured
    // request, so each count holds exactly that request's own operations (its audit event included).
    await t.api.stableSweep.stop();
    await t.api.audit.verify();
    await t.api.audit.flush();
    let before = t.operations.count;
    await performance(version.id, ...window);
    await t.api.audit.flush();
    const few = t.operations.count - before;
    for (let i = 0; i < 40; i += 1) {
      await seedCase(t.prisma, { modelVersionId: version.id, triage: i % 2 === 0, at, verdicts: ['AGREE'], reviewer });
    }
    await t.api.audit.flush();
    before = t.operations.count;
    const perf = await performance(version.id, ...window);
    await t.api.audit.flush();
    expect(perf.reviewed).toBe(41);
    expect(t.operations.count - before).toBe(few);
  });

  it('links a review made through the API to the prediction it judged', async () => {
    const version = await createModelVersion(t.prisma);
    const { study, prediction } = await createStudy(t.prisma, { modelVersionId: version.id, labels: ['subdural'] });
    const r = await t.gql(
      'mutation($id: ID!) { reviewStudy(id: $id, verdict: DISAGREE) { id } }',
      { id: study.id },
      { token: clinicianToken },
    );
    expect(r.errors).toBeUndefined();
    const review = await t.prisma.review.findFirstOrThrow({ where: { studyId: study.id } });
    expect(review.studyPredictionId).toBe(prediction!.id);
    const perf = await performance(version.id);
    expect(perf).toMatchObject({ falsePositives: 1, reviewed: 1 });
  });

  it('fires the alert when a review tips the lower bound under the target, and audits its start once', async () => {
    // Sensitivity target 0.9 needs 35 reviewed positives before the alert is armed (a flawless 35 of 35 clears it).
    const version = await createModelVersion(t.prisma, {
      card: modelCard('alerting', { targets: { sensitivity: 0.9, specificity: 0.5 } }),
    });
    const now = new Date(Date.now() - 60 * 60_000);
    for (let i = 0; i < 24; i += 1)
      await seedCase(t.prisma, { modelVersionId: version.id, triage: true, at: now, verdicts: ['AGREE'], reviewer });
    for (let i = 0; i < 10; i += 1)
      await seedCase(t.prisma, {
        modelVersionId: version.id,
        triage: false,
        at: now,
        verdicts: ['DISAGREE'],
        reviewer,
      });
    const quiet = await performance(version.id);
    expect(quiet.checks.find((c) => c.metric === 'SENSITIVITY')).toMatchObject({
      armed: false,
      firing: false,
      total: 34,
      minimumReviews: 35,
    });
    expect(quiet.alerts).toEqual([]);

    // The 35th positive, a missed bleed, reviewed through the API: 24 of 35 has a lower bound far under 0.9.
    const { study } = await createStudy(t.prisma, { modelVersionId: version.id, labels: [] });
    const r = await t.gql(
      'mutation($id: ID!) { reviewStudy(id: $id, verdict: DISAGREE) { id } }',
      { id: study.id },
      { token: clinicianToken },
    );
    expect(r.errors).toBeUndefined();
    const starts = () =>
      t.prisma.auditEvent.findMany({ where: { action: 'model.alert.start', resourceId: version.id } });
    await t.api.audit.flush();
    await waitFor(async () => (await starts()).length === 1);

    const firing = await performance(version.id);
    expect(firing.alerts).toEqual([
      {
        metric: 'SENSITIVITY',
        target: 0.9,
        lowerBound: wilsonInterval(24, 35)!.lower,
        estimate: 24 / 35,
        successes: 24,
        total: 35,
      },
    ]);
    // Reading it again, as a clinician or an admin, does not audit the start again.
    await performance(version.id, undefined, undefined, clinicianToken);
    await performance(version.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const events = await starts();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.details)).toMatchObject({ metric: 'sensitivity', successes: 24, total: 35 });
    expect(events[0]!.actorType).toBe('SYSTEM');
  });

  it('refuses a reversed window and an unknown version', async () => {
    const version = await createModelVersion(t.prisma);
    const r = await t.gql(
      PERFORMANCE,
      { id: version.id, from: '2026-02-01T00:00:00.000Z', to: '2026-01-01T00:00:00.000Z' },
      { token: adminToken },
    );
    expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.gql(PERFORMANCE, { id: 'nope' }, { token: adminToken }))).toEqual(['NOT_FOUND']);
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
