import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, type GraphQLResult, PROVIDERS, startApi, type TestApi } from './harness.js';

/**
 * The worklist's fast path (one prepared SQL statement per page, graphql-jit) against the reference path (Prisma's
 * query engine, dataloaders, graphql-js): two APIs over the same database, WORKLIST_FAST_PATH on and off, must give
 * byte-for-byte the same answers (rows, order, cursors, totals, every field, errors) and write the same audit
 * details, on both databases.
 */

const PAGE = `query($first: Int, $after: String, $filter: StudyFilter, $orderBy: StudyOrder) {
  studies(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node {
      id studyInstanceUid status triage priority anyScore positiveLabels reviewed receivedAt accessionNumber
      description studyDate instanceCount notEligibleReason
      patient { id name patientId issuer sex birthDate }
      prediction { id any epidural intraparenchymal intraventricular subarachnoid subdural modelVersion { id name version } }
    } }
  }
}`;

interface Page {
  studies: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: Array<{ cursor: string; node: { id: string } }>;
  };
}

const ORDERS = ['PRIORITY', 'RECEIVED_DESC', 'RECEIVED_ASC'] as const;

const FILTERS: Array<Record<string, unknown>> = [
  {},
  { status: ['DONE'] },
  { status: ['QUEUED', 'FAILED'] },
  { triage: true },
  { triage: false },
  { reviewed: false },
  { reviewed: true, triage: true },
  { label: 'SUBDURAL' },
  { label: 'EPIDURAL', reviewed: false },
  { from: '2026-01-02T00:00:00.000Z', to: '2026-01-04T00:00:00.000Z' },
  { search: 'zulu' },
  { search: 'ACC-77' },
  { search: 'Head' },
  { search: '50%_' },
  { search: 'zulu', triage: true, status: ['DONE'] },
];

describe.each(PROVIDERS)('worklist fast path vs reference path on %s', (provider) => {
  let fast: TestApi;
  let reference: TestApi;
  let token: string;

  beforeAll(async () => {
    fast = await startApi(provider);
    reference = await startApi(provider, { databaseUrl: fast.databaseUrl, env: { WORKLIST_FAST_PATH: 'false' } });
    const prisma = fast.prisma;
    const older = await createModelVersion(prisma, { version: 'older' });
    const newer = await createModelVersion(prisma, { version: 'newer', active: true });
    const base = Date.parse('2026-01-01T00:00:00.000Z');
    const statuses = ['DONE', 'DONE', 'DONE', 'QUEUED', 'FAILED', 'PROCESSING'] as const;
    const labelSets = [['subdural'], [], ['epidural', 'subarachnoid'], [], ['intraventricular']] as const;
    const shared = (await createStudy(prisma, { patientName: 'Zulu^Shared', status: 'QUEUED' })).study.patientId;
    for (let i = 0; i < 36; i += 1) {
      const status = statuses[i % statuses.length]!;
      await createStudy(prisma, {
        // Every third study shares its arrival time with the next: the id tie-break decides their order.
        receivedAt: new Date(base + Math.floor(i / 2) * 3 * 3_600_000),
        status,
        ...(status === 'DONE' ? { modelVersionId: older.id, labels: labelSets[i % labelSets.length] } : {}),
        reviewed: i % 4 === 0,
        ...(i % 7 === 0 ? { patient: shared } : { patientName: i % 5 === 0 ? `Zulu^${i}` : `Other^${i}` }),
        accessionNumber: `ACC-${70 + i}`,
        description: i % 9 === 0 ? 'CT HEAD 50%_ dose' : 'CT HEAD WO CONTRAST',
        slices: 1,
      });
    }
    // A second, newer prediction (another model version) on some studies: both paths must pick the latest.
    const done = await prisma.study.findMany({ where: { status: 'DONE' }, orderBy: { id: 'asc' }, take: 6 });
    for (const study of done) {
      await prisma.studyPrediction.create({
        data: {
          studyId: study.id,
          modelVersionId: newer.id,
          any: 0.42,
          epidural: 0.1,
          intraparenchymal: 0.2,
          intraventricular: 0.3,
          subarachnoid: 0.4,
          subdural: 0.5,
          triage: false,
          createdAt: new Date(Date.now() + 60_000),
        },
      });
    }
    const { user, password } = await createUser(prisma);
    token = await fast.login(user.email, password);
  }, 120_000);

  afterAll(async () => {
    await reference?.close();
    await fast?.close();
  });

  /** Every page of one query, on one API, with the given page size. */
  const walk = async (t: TestApi, variables: Record<string, unknown>, first: number) => {
    const pages: unknown[] = [];
    let after: string | null = null;
    for (let n = 0; n < 50; n += 1) {
      const r: GraphQLResult<Page> = await t.gql<Page>(PAGE, { ...variables, first, after }, { token });
      expect(r.errors).toBeUndefined();
      pages.push(r.data);
      if (!r.data?.studies.pageInfo.hasNextPage) break;
      after = r.data.studies.pageInfo.endCursor;
    }
    return pages;
  };

  it('serves the same pages (rows, order, cursors, totals, every field) for every ordering and filter', async () => {
    let compared = 0;
    for (const orderBy of ORDERS) {
      for (const filter of FILTERS) {
        const variables = { orderBy, filter };
        const expected = await walk(reference, variables, 7);
        const actual = await walk(fast, variables, 7);
        expect(actual, `${orderBy} ${JSON.stringify(filter)}`).toEqual(expected);
        compared += actual.length;
      }
    }
    // The filters are not vacuous: some match nothing, most match several pages.
    expect(compared).toBeGreaterThan(ORDERS.length * FILTERS.length);
    const first = await fast.gql<Page>(PAGE, { first: 100 }, { token });
    expect(first.data?.studies.totalCount).toBe(37);
    const searched = await fast.gql<Page>(PAGE, { first: 100, filter: { search: 'zulu' } }, { token });
    expect(searched.data?.studies.totalCount).toBeGreaterThan(5);
    // A cursor from one path continues the walk on the other.
    const cross = await reference.gql<Page>(PAGE, { first: 5, after: first.data?.studies.edges[4]?.cursor }, { token });
    expect(cross.data?.studies.edges.map((e) => e.node.id)).toEqual(
      first.data?.studies.edges.slice(5, 10).map((e) => e.node.id),
    );
  });

  it('picks the latest prediction of a study with several', async () => {
    const r = await fast.gql<{
      studies: { edges: Array<{ node: { prediction: { any: number; modelVersion: { version: string } } | null } }> };
    }>(PAGE, { first: 100, filter: { status: ['DONE'] } }, { token });
    const versions = r.data?.studies.edges.map((e) => e.node.prediction?.modelVersion.version);
    expect(versions?.filter((v) => v === 'newer')).toHaveLength(6);
    expect(versions?.filter((v) => v === 'older').length).toBeGreaterThan(6);
  });

  it('reads the page without Prisma: the fast path really serves it', async () => {
    const count = async (t: TestApi) => {
      const seen: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const before = t.operations.count;
        expect((await t.gql(PAGE, { first: 20 }, { token })).errors).toBeUndefined();
        seen.push(t.operations.count - before);
      }
      return Math.min(...seen);
    };
    // The reference path: studies, patients, predictions, model versions (and the count) through Prisma; the fast path
    // leaves only what every request does (the session, the audit append).
    expect(await count(fast)).toBeLessThanOrEqual((await count(reference)) - 4);
  });

  it('rejects the same bad input with the same errors', async () => {
    for (const variables of [
      { first: 0 },
      { first: 101 },
      { first: 5, after: 'garbage!' },
      { first: 5, filter: { from: 'yesterday' } },
      { first: 5, filter: { status: ['NOPE'] } },
      { first: 5, filter: { search: 'x'.repeat(201) } },
    ]) {
      const a = await fast.gql(PAGE, variables, { token });
      const b = await reference.gql(PAGE, variables, { token });
      expect(a.status, JSON.stringify(variables)).toBe(b.status);
      expect({ data: a.data, errors: a.errors }, JSON.stringify(variables)).toEqual({ data: b.data, errors: b.errors });
      expect(codes(a)).toEqual([expect.stringMatching(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/)]);
    }
  });

  it('refuses anonymous callers, tokens without read:studies and disabled users alike', async () => {
    const { user, password } = await createUser(fast.prisma);
    const session = await fast.login(user.email, password);
    const made = await fast.gql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "no-read", scopes: ["write:uploads"] }) { token } }',
      {},
      { token: session },
    );
    const writeOnly = made.data!.createApiToken.token;
    const { user: gone, password: gonePassword } = await createUser(fast.prisma);
    const disabled = await fast.login(gone.email, gonePassword);
    await fast.prisma.user.update({ where: { id: gone.id }, data: { active: false } });
    for (const [who, options, code] of [
      ['anonymous', {}, 'UNAUTHENTICATED'],
      ['token without read:studies', { token: writeOnly }, 'FORBIDDEN'],
      ['disabled user', { token: disabled }, 'UNAUTHENTICATED'],
    ] as const) {
      const before = await fast.prisma.auditEvent.count({ where: { action: 'study.list' } });
      const a = await fast.gql(PAGE, { first: 5 }, options);
      const b = await reference.gql(PAGE, { first: 5 }, options);
      expect(codes(a), who).toEqual([code]);
      expect({ data: a.data, errors: a.errors }, who).toEqual({ data: b.data, errors: b.errors });
      // Nothing was served, so nothing was recorded as read.
      expect(await fast.prisma.auditEvent.count({ where: { action: 'study.list' } })).toBe(before);
    }
  });

  it('audits every page it serves with the same details as the reference path', async () => {
    const last = async () =>
      fast.prisma.auditEvent.findFirstOrThrow({ where: { action: 'study.list' }, orderBy: { seq: 'desc' } });
    const variables = { first: 6, filter: { search: 'zulu' }, orderBy: 'RECEIVED_DESC' };
    const served = await fast.gql<Page>(PAGE, variables, { token });
    const fastEvent = await last();
    await reference.gql(PAGE, variables, { token });
    const referenceEvent = await last();
    expect(fastEvent.seq).not.toBe(referenceEvent.seq);
    for (const e of [fastEvent, referenceEvent]) {
      expect(e.outcome).toBe('SUCCESS');
      expect(e.resourceType).toBe('Study');
    }
    expect(fastEvent.actorId).toBe(referenceEvent.actorId);
    expect(JSON.parse(fastEvent.details ?? '{}')).toEqual(JSON.parse(referenceEvent.details ?? '{}'));
    const details = JSON.parse(fastEvent.details ?? '{}') as { studyIds: string[]; patientIds: string[] };
    expect(details.studyIds).toEqual(served.data?.studies.edges.map((e) => e.node.id));
    expect(details.patientIds.length).toBeGreaterThan(0);
  });
});
