import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

// The cost estimator sees what the executor will do: variable defaults, counts, verification and aliases.
describe.each(PROVIDERS)('query cost on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  beforeAll(async () => {
    t = await startApi(provider);
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    admin = await t.login(a.user.email, a.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('prices a page size given as a variable default like one given in the variables', async () => {
    const query = (n: number) =>
      `query($n: Int = ${n}) { auditEvents(first: $n) { edges { node { id action details ipAddress } } } }`;
    expect(codes(await t.gql(query(5000), {}, { token: admin }))).toEqual(['QUERY_TOO_COMPLEX']);
    expect(codes(await t.gql(query(5000), { n: 5000 }, { token: admin }))).toEqual(['QUERY_TOO_COMPLEX']);
    expect((await t.gql(query(10), {}, { token: admin })).errors).toBeUndefined();
  });

  it('refuses aliased counts and verifications before running any of them', async () => {
    await t.api.audit.flush();
    const before = await t.prisma.auditEvent.count();
    const counts = Array.from({ length: 250 }, (_, i) => `c${i}: studies(filter: { search: "x" }) { totalCount }`);
    expect(codes(await t.gql(`{ ${counts.join(' ')} }`, {}, { token: admin }))).toEqual(['QUERY_TOO_COMPLEX']);
    const verifies = Array.from({ length: 20 }, (_, i) => `v${i}: verifyAuditLog { ok }`);
    expect(codes(await t.gql(`{ ${verifies.join(' ')} }`, {}, { token: admin }))).toEqual(['QUERY_TOO_COMPLEX']);
    const six = Array.from({ length: 6 }, (_, i) => `s${i}: studies(first: 1) { totalCount }`);
    const repeated = await t.gql(`{ ${six.join(' ')} }`, {}, { token: admin });
    expect(codes(repeated)).toEqual(['QUERY_TOO_COMPLEX']);
    expect(repeated.errors?.[0]?.message).toMatch(/repeats studies 6 times/);
    await t.api.audit.flush();
    expect(await t.prisma.auditEvent.count()).toBe(before);
    expect((await t.gql('{ verifyAuditLog { ok } }', {}, { token: admin })).errors).toBeUndefined();
  });

  it('runs one chain walk for verifications requested at the same time', async () => {
    const audit = t.api.audit;
    const scan = audit.scan.bind(audit);
    let walks = 0;
    // Counts the walks the real scan performs; the scan itself runs unchanged.
    audit.scan = (...args: Parameters<typeof scan>) => {
      if (args[2] === undefined || args[2] === null) walks += 1;
      return scan(...args);
    };
    try {
      const results = await Promise.all(Array.from({ length: 8 }, () => audit.verify()));
      expect(walks).toBe(1);
      for (const r of results) expect(r).toBe(results[0]);
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => t.gql('{ verifyAuditLog { ok checked } }', {}, { token: admin })),
      );
      for (const a of answers) expect(a.errors).toBeUndefined();
    } finally {
      audit.scan = scan;
    }
  });
});
