import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }';

// Distinct loopback source addresses stand for distinct machines: 127.0.0.1 is the web app's proxy (the default
// TRUSTED_PROXIES), 127.0.0.2 an attacker, 127.0.0.3 a victim.
describe.each(PROVIDERS)('client address and TRUSTED_PROXIES on %s', (provider) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi(provider, {
      throttle: { windowMs: 60_000, maxFailuresPerAccount: 100, maxFailuresPerAddress: 4 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const wrongLogin = (n: number, from: string, forwardedFor?: string) =>
    t.gql(
      LOGIN,
      { e: `nobody-${from}-${n}-${Math.random()}@example.org`, p: 'wrong password' },
      { from, ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}) },
    );

  it('does not let a client lock out another address by claiming it in X-Forwarded-For', async () => {
    const victim = await createUser(t.prisma);
    for (let i = 0; i < 6; i += 1) await wrongLogin(i, '127.0.0.2', '127.0.0.3');
    const attempts = await t.prisma.loginAttempt.findMany({ where: { email: { startsWith: 'nobody-127.0.0.2' } } });
    expect(new Set(attempts.map((a) => a.ipAddress))).toEqual(new Set(['127.0.0.2']));
    const r = await t.gql(LOGIN, { e: victim.user.email, p: victim.password }, { from: '127.0.0.3' });
    expect(r.errors).toBeUndefined();
    expect(r.data).toMatchObject({ login: { token: expect.any(String) } });
  });

  it('does not let a client dodge the per-address limit by changing X-Forwarded-For', async () => {
    const results = [];
    for (let i = 0; i < 6; i += 1) results.push(await wrongLogin(i, '127.0.0.4', `198.51.100.${i + 1}`));
    expect(results.map((r) => codes(r)[0])).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
  });

  it('believes the hop a trusted proxy appended, and stores only valid IP addresses', async () => {
    const { user, password } = await createUser(t.prisma);
    await t.gql(LOGIN, { e: user.email, p: password }, { headers: { 'x-forwarded-for': '198.51.100.7, 127.0.0.5' } });
    await t.gql(LOGIN, { e: user.email, p: password }, { headers: { 'x-forwarded-for': '<script>alert(1)</script>' } });
    await t.gql(
      LOGIN,
      { e: user.email, p: password },
      { from: '127.0.0.6', headers: { 'x-forwarded-for': 'x'.repeat(8000) } },
    );
    const events = await t.prisma.auditEvent.findMany({
      where: { action: 'auth.login', actorId: user.id },
      orderBy: { seq: 'asc' },
    });
    expect(events.map((e) => e.ipAddress)).toEqual(['127.0.0.5', '127.0.0.1', '127.0.0.6']);
    const sessions = await t.prisma.session.findMany({ where: { userId: user.id }, orderBy: { createdAt: 'asc' } });
    expect(sessions.map((s) => s.ipAddress)).toEqual(['127.0.0.5', '127.0.0.1', '127.0.0.6']);
  });
});

describe('TRUSTED_PROXIES=none', () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi('sqlite', { trustedProxies: 'none' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('uses the socket address even for loopback peers', async () => {
    const { user, password } = await createUser(t.prisma);
    await t.gql(LOGIN, { e: user.email, p: password }, { headers: { 'x-forwarded-for': '198.51.100.7' } });
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: 'auth.login', actorId: user.id } });
    expect(event.ipAddress).toBe('127.0.0.1');
  });
});
