import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../../src/auth/secrets.js';
import { createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { id email role } } }';
const ME = '{ me { id email role } }';

describe.each(PROVIDERS)('authentication on %s', (provider) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi(provider, { throttle: { windowMs: 60_000, maxFailuresPerAccount: 3, maxFailuresPerAddress: 6 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs in with email + password, returns the token and user, and sets an httpOnly SameSite cookie', async () => {
    const { user, password } = await createUser(t.prisma, { email: 'Clin.One@Example.org', role: 'CLINICIAN' });
    const r = await t.gql<{ login: { token: string; expiresAt: string; user: { id: string; email: string; role: string } } }>(LOGIN, { e: '  clin.one@EXAMPLE.org ', p: password });
    expect(r.errors).toBeUndefined();
    expect(r.data?.login.user).toEqual({ id: user.id, email: 'clin.one@example.org', role: 'CLINICIAN' });
    const token = r.data!.login.token;
    expect(token).toMatch(/^ichs_/);
    const cookie = r.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`ich_session=${token}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // Only the hash is stored.
    const session = await t.prisma.session.findFirstOrThrow({ where: { userId: user.id } });
    expect(session.tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(session)).not.toContain(token);
    // The cookie and the Bearer header both authenticate.
    expect((await t.gql(ME, {}, { cookie: `ich_session=${token}` })).data).toEqual({ me: { id: user.id, email: 'clin.one@example.org', role: 'CLINICIAN' } });
    expect((await t.gql(ME, {}, { token })).data).toEqual({ me: { id: user.id, email: 'clin.one@example.org', role: 'CLINICIAN' } });
  });

  it('answers wrong password, unknown account and inactive account alike', async () => {
    const { user, password } = await createUser(t.prisma);
    const inactive = await createUser(t.prisma, { active: false });
    const wrong = await t.gql(LOGIN, { e: user.email, p: `${password}x` }, { headers: { 'x-forwarded-for': '10.9.0.1' } });
    const unknown = await t.gql(LOGIN, { e: 'nobody@example.org', p: password }, { headers: { 'x-forwarded-for': '10.9.0.2' } });
    const off = await t.gql(LOGIN, { e: inactive.user.email, p: inactive.password }, { headers: { 'x-forwarded-for': '10.9.0.3' } });
    for (const r of [wrong, unknown, off]) {
      expect(codes(r)).toEqual(['UNAUTHENTICATED']);
      expect(r.errors?.[0]?.message).toBe('Wrong email or password.');
      expect(r.data).toBeNull();
    }
  });

  it('me is null without credentials or with a bad, expired or revoked token', async () => {
    const { user, password } = await createUser(t.prisma);
    expect((await t.gql(ME)).data).toEqual({ me: null });
    expect((await t.gql(ME, {}, { token: 'ichs_not-a-token' })).data).toEqual({ me: null });
    const token = await t.login(user.email, password);
    await t.prisma.session.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await t.gql(ME, {}, { token })).data).toEqual({ me: null });
    const second = await t.login(user.email, password);
    expect((await t.gql(ME, {}, { token: second })).data).toEqual({ me: expect.objectContaining({ id: user.id }) });
    await t.prisma.user.update({ where: { id: user.id }, data: { active: false } });
    expect((await t.gql(ME, {}, { token: second })).data).toEqual({ me: null });
  });

  it('logout revokes the session and clears the cookie', async () => {
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    const r = await t.gql<{ logout: boolean }>('mutation { logout }', {}, { cookie: `ich_session=${token}` });
    expect(r.data).toEqual({ logout: true });
    expect(r.headers.get('set-cookie')).toMatch(/ich_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await t.gql(ME, {}, { cookie: `ich_session=${token}` })).data).toEqual({ me: null });
    expect((await t.prisma.session.findFirstOrThrow({ where: { tokenHash: hashSecret(token) } })).revokedAt).not.toBeNull();
    expect((await t.gql<{ logout: boolean }>('mutation { logout }')).data).toEqual({ logout: false });
  });

  it('throttles repeated failures per account, even with the right password afterwards', async () => {
    const { user, password } = await createUser(t.prisma);
    for (let i = 0; i < 3; i += 1) {
      expect(codes(await t.gql(LOGIN, { e: user.email, p: 'wrong-password' }, { headers: { 'x-forwarded-for': `10.1.0.${i}` } }))).toEqual(['UNAUTHENTICATED']);
    }
    const blocked = await t.gql(LOGIN, { e: user.email, p: password }, { headers: { 'x-forwarded-for': '10.1.0.99' } });
    expect(codes(blocked)).toEqual(['RATE_LIMITED']);
    expect(await t.prisma.session.count({ where: { userId: user.id } })).toBe(0);
  });

  it('throttles repeated failures per address across accounts', async () => {
    const users = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => createUser(t.prisma)));
    const ip = { headers: { 'x-forwarded-for': '10.2.0.1' } };
    for (const { user } of users.slice(0, 6)) expect(codes(await t.gql(LOGIN, { e: user.email, p: 'wrong-password' }, ip))).toEqual(['UNAUTHENTICATED']);
    const last = users[6]!;
    expect(codes(await t.gql(LOGIN, { e: last.user.email, p: last.password }, ip))).toEqual(['RATE_LIMITED']);
    // Another address is unaffected.
    expect(codes(await t.gql(LOGIN, { e: last.user.email, p: last.password }, { headers: { 'x-forwarded-for': '10.2.0.2' } }))).toEqual([]);
  });

  it('refuses oversized credentials before hashing', async () => {
    expect(codes(await t.gql(LOGIN, { e: 'a@b.c', p: 'x'.repeat(2000) }))).toEqual(['BAD_USER_INPUT']);
  });
});
