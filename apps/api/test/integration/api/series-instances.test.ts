import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const QUERY = `query($id: ID!) { study(id: $id) { series { instances {
  id sopInstanceUid instanceNumber position sliceIndex rows columns } } prediction { slices { sliceIndex instanceId } } } }`;

interface Result {
  study: {
    series: { instances: { id: string; sliceIndex: number; position: number; rows: number; columns: number }[] }[];
    prediction: { slices: { sliceIndex: number; instanceId: string }[] };
  };
}

describe.each(PROVIDERS)('Series.instances on %s', (provider) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi(provider);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lists a series images in slice order, matching the per-slice predictions, without storage details', async () => {
    const model = await createModelVersion(t.prisma);
    const { study } = await createStudy(t.prisma, { modelVersionId: model.id, labels: ['subdural'], slices: 6 });
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    const r = await t.gql<Result>(QUERY, { id: study.id }, { token });
    expect(r.errors).toBeUndefined();
    const instances = r.data!.study.series[0]!.instances;
    // The factory inserts in reverse slice order, so insertion order would fail this.
    expect(instances.map((i) => i.sliceIndex)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(instances.map((i) => i.position)).toEqual([0, -5, -10, -15, -20, -25]);
    expect(instances[0]).toMatchObject({ rows: 512, columns: 512 });
    const slices = r.data!.study.prediction.slices;
    expect(slices.map((s) => s.instanceId)).toEqual(instances.map((i) => i.id));
    expect(Object.keys(instances[0]!).sort()).toEqual(
      ['columns', 'id', 'instanceNumber', 'position', 'rows', 'sliceIndex', 'sopInstanceUid'].sort(),
    );
  });

  it('is refused without credentials, like every patient-data read', async () => {
    const { study } = await createStudy(t.prisma);
    expect(codes(await t.gql(QUERY, { id: study.id }))).toContain('UNAUTHENTICATED');
  });
});
