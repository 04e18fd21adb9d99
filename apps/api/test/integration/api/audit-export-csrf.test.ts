import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { PROVIDERS, startApi, type TestApi } from './harness.js';

// SameSite=Lax still sends the cookie with a cross-site top-level GET, so the export must need more than the cookie.
describe.each(PROVIDERS)('audit export and cross-site links on %s', (provider) => {
  let t: TestApi;
  let session = '';
  beforeAll(async () => {
    t = await startApi(provider);
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    session = await t.login(a.user.email, a.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  const exportWith = (headers: Record<string, string>) => fetch(`${t.url}/api/audit/export?format=csv`, { headers });

  it('refuses a download authorized by the cookie alone, and writes no export event', async () => {
    await t.api.audit.flush();
    const before = await t.prisma.auditEvent.count({ where: { action: 'audit.export' } });
    const r = await exportWith({ cookie: `ich_session=${session}` });
    expect(r.status).toBe(403);
    expect(await r.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    await t.api.audit.flush();
    expect(await t.prisma.auditEvent.count({ where: { action: 'audit.export' } })).toBe(before);
  });

  it('serves the cookie with the preflight header, and a Bearer token', async () => {
    const withHeader = await exportWith({ cookie: `ich_session=${session}`, 'apollo-require-preflight': 'true' });
    expect(withHeader.status).toBe(200);
    await withHeader.text();
    const bearer = await exportWith({ authorization: `Bearer ${session}` });
    expect(bearer.status).toBe(200);
    await bearer.text();
  });
});
