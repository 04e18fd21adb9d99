import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from './harness.js';

// Refused requests and admin reads leave a trail too.
describe.each(PROVIDERS)('audit completeness on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  let adminId = '';
  let clinician = '';
  beforeAll(async () => {
    t = await startApi(provider);
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    adminId = a.user.id;
    admin = await t.login(a.user.email, a.password);
    const c = await createUser(t.prisma, { role: 'CLINICIAN' });
    clinician = await t.login(c.user.email, c.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  const latest = async (action: string) => {
    await t.api.audit.flush();
    return t.prisma.auditEvent.findFirst({ where: { action }, orderBy: { seq: 'desc' } });
  };

  it('records UNAUTHENTICATED and FORBIDDEN answers', async () => {
    await t.gql('{ users { id } }');
    expect(await latest('access.denied')).toMatchObject({
      outcome: 'FAILURE',
      actorType: 'ANONYMOUS',
      details: expect.stringContaining('"code":"UNAUTHENTICATED"'),
    });
    await t.gql('{ users { id } }', {}, { token: clinician });
    const forbidden = await latest('access.denied');
    expect(forbidden).toMatchObject({ actorType: 'USER', details: expect.stringContaining('"code":"FORBIDDEN"') });
    expect(forbidden?.details).toContain('"path":"users"');
  });

  it('records admin reads of users, API tokens and the audit log', async () => {
    await t.gql('{ users { id } }', {}, { token: admin });
    expect(await latest('user.list')).toMatchObject({ actorId: adminId });
    await t.gql('{ apiTokens { id } }', {}, { token: admin });
    expect(await latest('token.list')).toMatchObject({ actorId: adminId });
    await t.gql('{ auditEvents(first: 5) { edges { node { id } } } }', {}, { token: admin });
    expect(await latest('audit.read')).toMatchObject({ actorId: adminId });
  });

  it('finds worklist and patient-search views of a patient through auditEvents(filter: { patientId })', async () => {
    const model = await createModelVersion(t.prisma);
    const { study } = await createStudy(t.prisma, { modelVersionId: model.id, patientName: 'Seen On Worklist' });
    await t.gql('{ studies(first: 50) { edges { node { id } } } }', {}, { token: clinician });
    await t.gql('{ patients(search: "Seen On") { edges { node { id } } } }', {}, { token: clinician });
    const r = await t.gql<{ auditEvents: { edges: Array<{ node: { action: string } }> } }>(
      'query($p: String) { auditEvents(filter: { patientId: $p }) { edges { node { action } } } }',
      { p: study.patientId },
      { token: admin },
    );
    expect(r.errors).toBeUndefined();
    const actions = r.data!.auditEvents.edges.map((e) => e.node.action);
    expect(actions).toContain('study.list');
    expect(actions).toContain('patient.list');
  });
});
