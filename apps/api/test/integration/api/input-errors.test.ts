import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../../src/services/cursor.js';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

// Bad input is BAD_USER_INPUT naming what was wrong, on both databases; never INTERNAL.
describe.each(PROVIDERS)('input errors on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  beforeAll(async () => {
    t = await startApi(provider, { nodeEnv: 'production' });
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    admin = await t.login(a.user.email, a.password);
    const model = await createModelVersion(t.prisma);
    await createStudy(t.prisma, { modelVersionId: model.id, patientName: 'Plain Name' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses NUL bytes in login, createUser and searches with BAD_USER_INPUT', async () => {
    const login = await t.gql('mutation { login(email: "a\\u0000@example.org", password: "x") { token } }');
    expect(codes(login)).toEqual(['BAD_USER_INPUT']);
    const user = await t.gql(
      'mutation { createUser(input: { email: "nul@example.org", name: "a\\u0000b", role: CLINICIAN, password: "long-enough-password" }) { id } }',
      {},
      { token: admin },
    );
    expect(codes(user)).toEqual(['BAD_USER_INPUT']);
    const search = await t.gql('{ studies(filter: { search: "x\\u0000" }) { totalCount } }', {}, { token: admin });
    expect(codes(search)).toEqual(['BAD_USER_INPUT']);
    for (const r of [login, user, search]) expect(r.text).not.toMatch(/stacktrace|at .+\.(ts|js):\d+/);
  });

  it('refuses forged cursors with out-of-range numbers with BAD_USER_INPUT', async () => {
    const forged = [
      encodeCursor({ o: 'S', s: 1e300 }),
      encodeCursor({ o: 'S', s: 2 ** 62 }),
      encodeCursor({ o: 'S', s: 2 ** 40 }),
    ];
    for (const after of forged) {
      const r = await t.gql(
        'query($a: String) { auditEvents(after: $a) { totalCount } }',
        { a: after },
        { token: admin },
      );
      expect(codes(r)).toEqual(['BAD_USER_INPUT']);
    }
    const studies = await t.gql(
      'query($a: String) { studies(after: $a) { totalCount } }',
      { a: encodeCursor({ o: 'P', p: 1, r: 9e18, i: 'x' }) },
      { token: admin },
    );
    expect(codes(studies)).toEqual(['BAD_USER_INPUT']);
  });
});
