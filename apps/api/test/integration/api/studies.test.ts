import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const PAGE = `query($first: Int, $after: String, $filter: StudyFilter, $orderBy: StudyOrder) {
  studies(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id priority receivedAt status triage reviewed positiveLabels description patient { name patientId } } }
  }
}`;

interface StudyNode {
  id: string;
  priority: number;
  receivedAt: string;
  status: string;
  triage: boolean | null;
  reviewed: boolean;
  positiveLabels: string[];
  description: string;
  patient: { name: string; patientId: string };
}
interface Page {
  studies: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: Array<{ cursor: string; node: StudyNode }>;
  };
}

describe.each(PROVIDERS)('studies, patients and reviews on %s', (provider) => {
  let t: TestApi;
  let token = '';
  let modelId = '';
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const at = (minutes: number) => new Date(t0 + minutes * 60_000);
  let ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApi(provider);
    const { user, password } = await createUser(t.prisma);
    token = await t.login(user.email, password);
    const model = await createModelVersion(t.prisma, { active: true, version: '1.0.0' });
    modelId = model.id;
    const mk = async (key: string, spec: Parameters<typeof createStudy>[1]) => {
      ids[key] = (await createStudy(t.prisma, { modelVersionId: model.id, ...spec })).study.id;
    };
    ids = {};
    // Two suspected bleeds, two negatives, one still processing, one failed; arrival order differs from priority.
    await mk('negOld', { receivedAt: at(1), labels: [], patientName: 'Alpha^Ann', description: 'CT HEAD' });
    await mk('bleedNew', {
      receivedAt: at(5),
      labels: ['subdural', 'epidural'],
      patientName: 'Bravo^Bob',
      accessionNumber: 'ACC-7788',
    });
    await mk('processing', { receivedAt: at(2), status: 'PROCESSING', patientName: 'Charlie^Cy' });
    await mk('bleedOld', { receivedAt: at(3), labels: ['intraventricular'], patientName: 'Delta^Di', reviewed: true });
    await mk('negNew', { receivedAt: at(6), labels: [], patientName: 'Echo^Eve' });
    await mk('failed', { receivedAt: at(4), status: 'FAILED', patientName: 'Foxtrot^Fay' });
    const job = await t.prisma.inferenceJob.create({
      data: {
        studyId: ids['failed']!,
        status: 'FAILED',
        attempts: 3,
        errorCode: 'BAD_SERIES',
        error: 'The slices do not form a usable series.',
      },
    });
    expect(job.id).toBeTruthy();
  });
  afterAll(async () => {
    await t?.close();
  });

  const page = async (variables: Record<string, unknown>) => {
    const r = await t.gql<Page>(PAGE, variables, { token });
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data!.studies;
  };

  it('sorts the worklist by triage priority, then arrival', async () => {
    const all = await page({ first: 100 });
    expect(all.edges.map((e) => e.node.id)).toEqual([
      ids['bleedOld'],
      ids['bleedNew'],
      ids['negOld'],
      ids['negNew'],
      ids['processing'],
      ids['failed'],
    ]);
    expect(all.totalCount).toBe(6);
    const desc = await page({ first: 100, orderBy: 'RECEIVED_DESC' });
    expect(desc.edges.map((e) => e.node.id)).toEqual([
      ids['negNew'],
      ids['bleedNew'],
      ids['failed'],
      ids['bleedOld'],
      ids['processing'],
      ids['negOld'],
    ]);
  });

  it.each(['PRIORITY', 'RECEIVED_DESC', 'RECEIVED_ASC'])(
    'walks every page with cursors (%s) without gaps or repeats',
    async (orderBy) => {
      const full = (await page({ first: 100, orderBy })).edges.map((e) => e.node.id);
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const p: Page['studies'] = await page({ first: 4, after, orderBy });
        pages += 1;
        seen.push(...p.edges.map((e) => e.node.id));
        expect(p.pageInfo.hasPreviousPage).toBe(after !== null);
        if (!p.pageInfo.hasNextPage) break;
        after = p.pageInfo.endCursor;
      }
      expect(seen).toEqual(full);
      expect(pages).toBe(2);
    },
  );

  it('rejects cursors that are forged or belong to another ordering', async () => {
    const p = await page({ first: 2 });
    for (const after of [
      'garbage!',
      Buffer.from('{"o":"P","p":"1 OR 1=1"}').toString('base64url'),
      p.pageInfo.endCursor,
    ]) {
      const r = await t.gql(
        PAGE,
        { first: 2, after, orderBy: after === p.pageInfo.endCursor ? 'RECEIVED_ASC' : 'PRIORITY' },
        { token },
      );
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
      expect(r.data).toBeNull();
    }
    expect(codes(await t.gql(PAGE, { first: 101 }, { token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('filters by status, triage, label, reviewed, time and free text', async () => {
    const only = async (filter: Record<string, unknown>) =>
      (await page({ first: 100, filter })).edges.map((e) => e.node.id).sort();
    expect(await only({ status: ['PROCESSING', 'FAILED'] })).toEqual([ids['processing'], ids['failed']].sort());
    expect(await only({ triage: true })).toEqual([ids['bleedNew'], ids['bleedOld']].sort());
    expect(await only({ triage: false })).toEqual([ids['negOld'], ids['negNew']].sort());
    expect(await only({ label: 'SUBDURAL' })).toEqual([ids['bleedNew']]);
    expect(await only({ label: 'INTRAVENTRICULAR' })).toEqual([ids['bleedOld']]);
    expect(await only({ reviewed: true })).toEqual([ids['bleedOld']]);
    expect(await only({ from: at(3).toISOString(), to: at(6).toISOString() })).toEqual(
      [ids['bleedOld'], ids['failed'], ids['bleedNew']].sort(),
    );
    expect(await only({ search: 'bravo' })).toEqual([ids['bleedNew']]);
    expect(await only({ search: 'acc-7788' })).toEqual([ids['bleedNew']]);
    expect(await only({ triage: true, reviewed: false })).toEqual([ids['bleedNew']]);
    const counted = await page({ first: 1, filter: { triage: true } });
    expect(counted.totalCount).toBe(2);
    expect(counted.pageInfo.hasNextPage).toBe(true);
    expect(codes(await t.gql(PAGE, { filter: { from: 'yesterday' } }, { token }))).toEqual(['BAD_USER_INPUT']);
  });

  it('returns a study with patient, series, slices in slice order, prediction, model version, reviews and failure', async () => {
    const q = `query($id: ID!) { study(id: $id) {
      id positiveLabels triage failure { code message attempts }
      patient { name patientId sex studies { id } }
      series { modality instanceCount }
      prediction { any subdural epidural triage engine modelVersion { id version active } slices { sliceIndex any } }
      reviews { verdict comment reviewer { email } }
    } }`;
    const r = await t.gql<{
      study: Record<string, unknown> & { prediction: { slices: Array<{ sliceIndex: number }> } };
    }>(q, { id: ids['bleedNew'] }, { token });
    expect(r.errors).toBeUndefined();
    expect(r.data?.study).toMatchObject({
      id: ids['bleedNew'],
      positiveLabels: ['EPIDURAL', 'SUBDURAL'],
      triage: true,
      failure: null,
      patient: { name: 'Bravo^Bob', sex: 'F', studies: [{ id: ids['bleedNew'] }] },
      series: [{ modality: 'CT', instanceCount: 4 }],
      prediction: {
        any: 0.9,
        subdural: 0.8,
        epidural: 0.8,
        triage: true,
        engine: 'onnx',
        modelVersion: { id: modelId, version: '1.0.0', active: true },
      },
      reviews: [],
    });
    expect(r.data!.study.prediction.slices.map((s) => s.sliceIndex)).toEqual([0, 1, 2, 3]);
    const failed = await t.gql<{ study: { failure: unknown; prediction: unknown } }>(
      q,
      { id: ids['failed'] },
      { token },
    );
    expect(failed.data?.study).toMatchObject({ failure: { code: 'BAD_SERIES', attempts: 3 }, prediction: null });
    expect((await t.gql(q, { id: 'no-such-study' }, { token })).data).toEqual({ study: null });
  });

  it('records reviews and marks the study reviewed', async () => {
    const review = await t.gql<{ reviewStudy: { verdict: string; comment: string; reviewer: { email: string } } }>(
      'mutation($id: ID!) { reviewStudy(id: $id, verdict: DISAGREE, comment: "<b>no</b> bleed") { verdict comment reviewer { email } } }',
      { id: ids['negNew'] },
      { token },
    );
    expect(review.errors).toBeUndefined();
    expect(review.data?.reviewStudy).toMatchObject({ verdict: 'DISAGREE', comment: '<b>no</b> bleed' });
    const study = await t.gql<{ study: { reviewed: boolean; reviews: Array<{ verdict: string }> } }>(
      'query($id: ID!) { study(id: $id) { reviewed reviews { verdict } } }',
      { id: ids['negNew'] },
      { token },
    );
    expect(study.data?.study).toEqual({ reviewed: true, reviews: [{ verdict: 'DISAGREE' }] });
    expect(
      codes(
        await t.gql(
          'mutation($id: ID!) { reviewStudy(id: $id, verdict: AGREE) { id } }',
          { id: ids['processing'] },
          { token },
        ),
      ),
    ).toEqual(['CONFLICT']);
    expect(
      codes(
        await t.gql('mutation($id: ID!) { reviewStudy(id: $id, verdict: AGREE) { id } }', { id: 'missing' }, { token }),
      ),
    ).toEqual(['NOT_FOUND']);
    expect(
      codes(
        await t.gql(
          'mutation($id: ID!, $v: Verdict!) { reviewStudy(id: $id, verdict: $v) { id } }',
          { id: ids['negNew'], v: 'MAYBE' },
          { token },
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await t.gql(
          'mutation($id: ID!) { reviewStudy(id: $id, verdict: MAYBE) { id } }',
          { id: ids['negNew'] },
          { token },
        ),
      ),
    ).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('queues a study for reprocessing once', async () => {
    const m = 'mutation($id: ID!) { reprocessStudy(id: $id) { id status } }';
    const first = await t.gql<{ reprocessStudy: { status: string } }>(m, { id: ids['negOld'] }, { token });
    expect(first.data?.reprocessStudy.status).toBe('QUEUED');
    expect(await t.prisma.inferenceJob.count({ where: { studyId: ids['negOld'], status: 'QUEUED' } })).toBe(1);
    expect(codes(await t.gql(m, { id: ids['negOld'] }, { token }))).toEqual(['CONFLICT']);
  });

  it('pages through patients by name', async () => {
    const q =
      'query($after: String) { patients(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { name } } } }';
    type P = {
      patients: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string };
        edges: Array<{ node: { name: string } }>;
      };
    };
    const p1 = await t.gql<P>(q, {}, { token });
    const p2 = await t.gql<P>(q, { after: p1.data!.patients.pageInfo.endCursor }, { token });
    const names = [...p1.data!.patients.edges, ...p2.data!.patients.edges].map((e) => e.node.name);
    expect(names).toEqual(['Alpha^Ann', 'Bravo^Bob', 'Charlie^Cy', 'Delta^Di', 'Echo^Eve', 'Foxtrot^Fay']);
    expect(p2.data!.patients.pageInfo.hasNextPage).toBe(false);
    const search = await t.gql<P>('{ patients(search: "CHAR") { totalCount edges { node { name } } } }', {}, { token });
    expect(search.data?.patients.edges.map((e) => e.node.name)).toEqual(['Charlie^Cy']);
  });
  it('loads a worklist page with a fixed number of queries, whatever its size (no N+1)', async () => {
    const q = `query($n: Int) { studies(first: $n, filter: { search: "Zulu" }) { edges { node { id patient { name } series { instanceCount } reviews { reviewer { email } }
      prediction { any modelVersion { version } } } } } }`;
    // Background work (the STOW stable-study sweep) shares the counted client and only ever adds operations, so the
    // fewest seen over three requests is the request's own count.
    const countFor = async (n: number) => {
      const counts: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const before = t.operations.count;
        const r = await t.gql<{ studies: { edges: unknown[] } }>(q, { n }, { token });
        expect(r.errors).toBeUndefined();
        expect(r.data?.studies.edges).toHaveLength(n);
        counts.push(t.operations.count - before);
      }
      return Math.min(...counts);
    };
    const reviewer = (await createUser(t.prisma)).user.id;
    for (let i = 0; i < 10; i += 1) {
      const { study } = await createStudy(t.prisma, {
        modelVersionId: modelId,
        labels: ['subdural'],
        patientName: `Zulu^${i}`,
        receivedAt: at(100 + i),
      });
      // The first and last have reviews, so both page sizes load reviewers.
      if (i === 0 || i === 9)
        await t.prisma.review.create({ data: { studyId: study.id, reviewerId: reviewer, verdict: 'AGREE' } });
    }
    const small = await countFor(2);
    const large = await countFor(10);
    expect(large).toBe(small);
    expect(large).toBeLessThanOrEqual(12);
  });
});
