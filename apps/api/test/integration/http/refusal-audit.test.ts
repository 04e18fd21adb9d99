import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from '../api/harness.js';

// Refused plain-HTTP requests (uploads, DICOMweb, audit export) are audited with the client address, within a limit.
describe.each(PROVIDERS)('refused plain-HTTP requests are audited on %s', (provider) => {
  let t: TestApi;
  let clinician = '';
  beforeAll(async () => {
    t = await startApi(provider);
    const { user, password } = await createUser(t.prisma, { role: 'CLINICIAN' });
    clinician = await t.login(user.email, password);
  });
  afterAll(async () => {
    await t?.close();
  });

  // Requests come from 127.0.0.1, a trusted proxy by default, so X-Forwarded-For names the client.
  const from = (ip: string, extra: Record<string, string> = {}) => ({ 'x-forwarded-for': ip, ...extra });
  const denials = async (ip: string) => {
    await t.api.audit.flush();
    return t.prisma.auditEvent.findMany({ where: { action: 'access.denied', ipAddress: ip }, orderBy: { seq: 'asc' } });
  };

  it('records one access.denied event per refusal with the address, code and path', async () => {
    const upload = await fetch(`${t.url}/api/uploads`, { method: 'POST', headers: from('10.77.0.1') });
    expect(upload.status).toBe(401);
    const stow = await fetch(`${t.url}/dicom-web/studies`, { headers: from('10.77.0.1') });
    expect(stow.status).toBe(401);
    const exported = await fetch(`${t.url}/api/audit/export?format=csv`, {
      headers: from('10.77.0.1', { authorization: `Bearer ${clinician}` }),
    });
    expect(exported.status).toBe(403);
    const events = await denials('10.77.0.1');
    expect(events.map((e) => [e.outcome, JSON.parse(e.details).code, JSON.parse(e.details).path])).toEqual([
      ['FAILURE', 'UNAUTHENTICATED', '/api/uploads'],
      ['FAILURE', 'UNAUTHENTICATED', '/dicom-web/studies'],
      ['FAILURE', 'FORBIDDEN', '/api/audit/export'],
    ]);
    expect(events[2]).toMatchObject({ actorType: 'USER' });
  });

  it('records at most 10 refusals a minute from one address, however many arrive', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => fetch(`${t.url}/api/uploads`, { method: 'POST', headers: from('10.77.0.2') })),
    );
    expect(answers.every((a) => a.status === 401)).toBe(true);
    expect(await denials('10.77.0.2')).toHaveLength(10);
    // Another address is not starved by the first one's flood.
    await fetch(`${t.url}/api/uploads`, { method: 'POST', headers: from('10.77.0.3') });
    expect(await denials('10.77.0.3')).toHaveLength(1);
  });
});
