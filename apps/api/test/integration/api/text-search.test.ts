import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudy, createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from './harness.js';

const PATIENTS = `query($search: String, $first: Int, $after: String) {
  patients(search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { name } }
  }
}`;
const STUDIES = `query($filter: StudyFilter, $first: Int, $after: String) {
  studies(filter: $filter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { description } }
  }
}`;

// A search is literal text: LIKE's wildcards (% and _) and its usual escape character (\) in what the user types
// must match only those characters, never "anything".
describe.each(PROVIDERS)('text search on %s', (provider) => {
  let t: TestApi;
  let token = '';

  beforeAll(async () => {
    t = await startApi(provider);
    const { user, password } = await createUser(t.prisma);
    token = await t.login(user.email, password);
    const rows: Array<[string, string]> = [
      ['Percent%Pat', 'CT 50% DOSE'],
      ['Under_Score', 'CT HEAD_LOW'],
      ['Back\\Slash', 'CT \\ REFORMAT'],
      ['Plain^Name', 'CT HEAD PLAIN'],
      ['Other^Person', 'CT HEAD WO CONTRAST'],
    ];
    for (const [patientName, description] of rows) await createStudy(t.prisma, { patientName, description });
  });
  afterAll(async () => {
    await t?.close();
  });

  const patients = async (search: string, first = 25, after?: string) => {
    const r = await t.gql<{
      patients: {
        totalCount: number;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: Array<{ node: { name: string } }>;
      };
    }>(PATIENTS, { search, first, after }, { token });
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data!.patients;
  };
  const studies = async (search: string) => {
    const r = await t.gql<{
      studies: { totalCount: number; edges: Array<{ node: { description: string } }> };
    }>(STUDIES, { filter: { search }, first: 25 }, { token });
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    return r.data!.studies;
  };
  const names = async (search: string) => (await patients(search)).edges.map((e) => e.node.name).sort();
  const descriptions = async (search: string) => (await studies(search)).edges.map((e) => e.node.description).sort();

  it('matches % _ and \\ only where they occur literally (patients)', async () => {
    expect(await names('%')).toEqual(['Percent%Pat']);
    expect(await names('_')).toEqual(['Under_Score']);
    expect(await names('\\')).toEqual(['Back\\Slash']);
    expect(await names('t%p')).toEqual(['Percent%Pat']);
    expect(await names('r_s')).toEqual(['Under_Score']);
    expect(await names('%%')).toEqual([]);
    expect(await names('\\%')).toEqual([]);
    expect((await patients('%')).totalCount).toBe(1);
  });

  it('matches % _ and \\ only where they occur literally (worklist)', async () => {
    expect(await descriptions('%')).toEqual(['CT 50% DOSE']);
    expect(await descriptions('_')).toEqual(['CT HEAD_LOW']);
    expect(await descriptions('\\')).toEqual(['CT \\ REFORMAT']);
    expect(await descriptions('d_l')).toEqual(['CT HEAD_LOW']);
    // The patient's name is searched too.
    expect(await descriptions('score')).toEqual(['CT HEAD_LOW']);
    expect((await studies('_')).totalCount).toBe(1);
  });

  it('still finds plain substrings regardless of case', async () => {
    expect(await names('plain')).toEqual(['Plain^Name']);
    expect(await names('PERSON')).toEqual(['Other^Person']);
    expect(await descriptions('head')).toEqual(['CT HEAD PLAIN', 'CT HEAD WO CONTRAST', 'CT HEAD_LOW']);
    expect(await descriptions('Contrast')).toEqual(['CT HEAD WO CONTRAST']);
  });

  it('pages through a literal search with the cursor', async () => {
    const first = await patients('r', 1);
    expect(first.totalCount).toBe(3);
    const seen = first.edges.map((e) => e.node.name);
    let after = first.pageInfo.endCursor;
    for (let i = 0; i < 3 && after; i += 1) {
      const next = await patients('r', 1, after);
      seen.push(...next.edges.map((e) => e.node.name));
      after = next.pageInfo.hasNextPage ? next.pageInfo.endCursor : null;
    }
    expect(seen.sort()).toEqual(['Other^Person', 'Percent%Pat', 'Under_Score']);
  });
});
