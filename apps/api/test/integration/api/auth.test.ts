import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../../src/auth/secrets.js';
import { createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const LOGIN =
  'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token expiresAt user { id email role } } }';
const ME = '{ me { id email role } }';

describe.each(PROVIDERS)('authentication on %s', (provider) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi(provider, {
      throttle: { windowMs: 60_000, maxFailuresPerAccount: 3, maxFailuresPerAddress: 6 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('logs in with email + password, returns the token and user, and sets an httpOnly SameSite cookie', async () => {
    const { user, password } = await createUser(t.prisma, { email: 'Clin.One@Example.org', role: 'CLINICIAN' });
    const r = await t.gql<{
      login: { token: string; expiresAt: string; user: { id: string; email: string; role: string } };
    }>(LOGIN, { e: '  clin.one@EXAMPLE.org ', p: password });
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
    expect((await t.gql(ME, {}, { cookie: `ich_session=${token}` })).data).toEqual({
      me: { id: user.id, email: 'clin.one@example.org', role: 'CLINICIAN' },
    });
    expect((await t.gql(ME, {}, { token })).data).toEqual({
      me: { id: user.id, email: 'clin.one@example.org', role: 'CLINICIAN' },
    });
  });

  it('answers wrong password, unknown account and inactive account alike', async () => {
    const { user, password } = await createUser(t.prisma);
    const inactive = await createUser(t.prisma, { active: false });
    const wrong = await t.gql(
      LOGIN,
      { e: user.email, p: `${password}x` },
      { headers: { 'x-forwarded-for': '10.9.0.1' } },
    );
    const unknown = await t.gql(
      LOGIN,
      { e: 'nobody@example.org', p: password },
      { headers: { 'x-forwarded-for': '10.9.0.2' } },
    );
    const off = await t.gql(
      LOGIN,
      { e: inactive.user.email, p: inactive.password },
      { headers: { 'x-forwarded-for': '10.9.0.3' } },
    );
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

  it('records when a session was last seen at most once a minute, so reads do not each become a write', async () => {
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    const lastSeen = async () =>
      (await t.prisma.session.findFirstOrThrow({ where: { tokenHash: hashSecret(token) } })).lastSeenAt.getTime();
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await t.prisma.session.updateMany({ where: { tokenHash: hashSecret(token) }, data: { lastSeenAt: longAgo } });
    const before = Date.now();
    expect((await t.gql(ME, {}, { token })).data).toEqual({ me: expect.objectContaining({ id: user.id }) });
    const touched = await lastSeen();
    expect(touched).toBeGreaterThanOrEqual(before - 5);
    // Within the minute: still authenticated, and the stored time stays where the first request put it.
    const recent = new Date(Date.now() - 30_000);
    await t.prisma.session.updateMany({ where: { tokenHash: hashSecret(token) }, data: { lastSeenAt: recent } });
    expect((await t.gql(ME, {}, { token })).data).toEqual({ me: expect.objectContaining({ id: user.id }) });
    expect(await lastSeen()).toBe(recent.getTime());
  });

  it('logout revokes the session and clears the cookie', async () => {
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    const r = await t.gql<{ logout: boolean }>('mutation { logout }', {}, { cookie: `ich_session=${token}` });
    expect(r.data).toEqual({ logout: true });
    expect(r.headers.get('set-cookie')).toMatch(/ich_session=;.*Expires=Thu, 01 Jan 1970/);
    expect((await t.gql(ME, {}, { cookie: `ich_session=${token}` })).data).toEqual({ me: null });
    expect(
      (await t.prisma.session.findFirstOrThrow({ where: { tokenHash: hashSecret(token) } })).revokedAt,
    ).not.toBeNull();
    expect((await t.gql<{ logout: boolean }>('mutation { logout }')).data).toEqual({ logout: false });
  });

  it('throttles repeated failures per account, even with the right password afterwards', async () => {
    const { user, password } = await createUser(t.prisma);
    for (let i = 0; i < 3; i += 1) {
      expect(
        codes(
          await t.gql(LOGIN, { e: user.email, p: 'wrong-password' }, { headers: { 'x-forwarded-for': `10.1.0.${i}` } }),
        ),
      ).toEqual(['UNAUTHENTICATED']);
    }
    const blocked = await t.gql(LOGIN, { e: user.email, p: password }, { headers: { 'x-forwarded-for': '10.1.0.99' } });
    expect(codes(blocked)).toEqual(['RATE_LIMITED']);
    expect(await t.prisma.session.count({ where: { userId: user.id } })).toBe(0);
    // The refusal is recorded as a lockout, which the audit export codes as a DICOM Security Alert (110113).
    const refused = await t.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'auth.login', outcome: 'FAILURE', details: { contains: user.email } },
      orderBy: { seq: 'desc' },
    });
    expect(JSON.parse(refused.details)).toMatchObject({ lockout: true, reason: 'too many failures for this account' });
  });

  it('throttles repeated failures per address across accounts', async () => {
    const users = await Promise.all([1, 2, 3, 4, 5, 6, 7].map(() => createUser(t.prisma)));
    const ip = { headers: { 'x-forwarded-for': '10.2.0.1' } };
    for (const { user } of users.slice(0, 6))
      expect(codes(await t.gql(LOGIN, { e: user.email, p: 'wrong-password' }, ip))).toEqual(['UNAUTHENTICATED']);
    const last = users[6]!;
    expect(codes(await t.gql(LOGIN, { e: last.user.email, p: last.password }, ip))).toEqual(['RATE_LIMITED']);
    // Another address is unaffected.
    expect(
      codes(
        await t.gql(LOGIN, { e: last.user.email, p: last.password }, { headers: { 'x-forwarded-for': '10.2.0.2' } }),
      ),
    ).toEqual([]);
  });

  it('shows an API token once, stores only its hash, and honours scopes, expiry and revocation', async () => {
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    const clinician = await createUser(t.prisma, { role: 'CLINICIAN' });
    const adminToken = await t.login(admin.user.email, admin.password);
    const clinicianToken = await t.login(clinician.user.email, clinician.password);
    const create =
      'mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { token apiToken { id prefix scopes expiresAt owner { id } } } }';
    type Created = {
      createApiToken: {
        token: string;
        apiToken: { id: string; prefix: string; scopes: string[]; expiresAt: string; owner: { id: string } };
      };
    };
    const made = await t.gql<Created>(
      create,
      { i: { name: 'pacs-bridge', scopes: ['read:studies'], expiresInDays: 30, userId: clinician.user.id } },
      { token: adminToken },
    );
    expect(made.errors).toBeUndefined();
    const { token, apiToken } = made.data!.createApiToken;
    expect(token).toMatch(/^icht_/);
    expect(token.startsWith(apiToken.prefix)).toBe(true);
    expect(apiToken).toMatchObject({ scopes: ['read:studies'], owner: { id: clinician.user.id } });
    expect(Date.parse(apiToken.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const stored = await t.prisma.apiToken.findUniqueOrThrow({ where: { id: apiToken.id } });
    expect(stored.tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(stored)).not.toContain(token.slice(12));
    // Listing never shows the secret again.
    const listed = await t.gql('{ apiTokens { id prefix } }', {}, { token: clinicianToken });
    expect(listed.text).not.toContain(token);
    expect(listed.text).toContain(apiToken.id);

    // The token acts as its owner, within its scopes.
    expect((await t.gql(ME, {}, { token })).data).toEqual({ me: expect.objectContaining({ id: clinician.user.id }) });
    expect(codes(await t.gql('{ studies { totalCount } }', {}, { token }))).toEqual([]);
    expect(codes(await t.gql('mutation { reprocessStudy(id: "x") { id } }', {}, { token }))).toEqual(['FORBIDDEN']);
    // Clinicians cannot hold admin scopes; unknown scopes are refused.
    expect(codes(await t.gql(create, { i: { name: 'x', scopes: ['admin'] } }, { token: clinicianToken }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(
      codes(await t.gql(create, { i: { name: 'x', scopes: ['read:everything'] } }, { token: adminToken })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await t.gql(create, { i: { name: 'x', scopes: ['read:studies'], expiresInDays: 400 } }, { token: adminToken }),
      ),
    ).toEqual(['BAD_USER_INPUT']);

    // Expired, then revoked: anonymous.
    await t.prisma.apiToken.update({ where: { id: apiToken.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(codes(await t.gql('{ studies { totalCount } }', {}, { token }))).toEqual(['UNAUTHENTICATED']);
    await t.prisma.apiToken.update({
      where: { id: apiToken.id },
      data: { expiresAt: new Date(Date.now() + 86_400_000) },
    });
    expect(codes(await t.gql('{ studies { totalCount } }', {}, { token }))).toEqual([]);
    const revoked = await t.gql<{ revokeApiToken: { revokedAt: string | null } }>(
      'mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }',
      { id: apiToken.id },
      { token: clinicianToken },
    );
    expect(revoked.data?.revokeApiToken.revokedAt).not.toBeNull();
    expect(codes(await t.gql('{ studies { totalCount } }', {}, { token }))).toEqual(['UNAUTHENTICATED']);
  });

  it('ends sessions when an admin deactivates a user or resets their password', async () => {
    const admin = await createUser(t.prisma, { role: 'ADMIN' });
    const adminToken = await t.login(admin.user.email, admin.password);
    const target = await createUser(t.prisma);
    const session = await t.login(target.user.email, target.password);
    const reset = await t.gql(
      'mutation($id: ID!) { resetPassword(id: $id, password: "a-brand-new-password") }',
      { id: target.user.id },
      { token: adminToken },
    );
    expect(reset.errors).toBeUndefined();
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: null });
    const fresh = await t.login(target.user.email, 'a-brand-new-password');
    await t.gql(
      'mutation($id: ID!) { updateUser(id: $id, input: { active: false }) { active } }',
      { id: target.user.id },
      { token: adminToken },
    );
    expect((await t.gql(ME, {}, { token: fresh })).data).toEqual({ me: null });
    expect(
      codes(
        await t.gql(
          'mutation($id: ID!) { updateUser(id: $id, input: { role: CLINICIAN }) { role } }',
          { id: admin.user.id },
          { token: adminToken },
        ),
      ),
    ).toEqual(['CONFLICT']);
    expect(
      codes(
        await t.gql(
          'mutation { createUser(input: { email: "dup@example.org", role: CLINICIAN, password: "short" }) { id } }',
          {},
          { token: adminToken },
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      codes(
        await t.gql(
          `mutation { createUser(input: { email: "${target.user.email}", role: CLINICIAN, password: "long-enough-password" }) { id } }`,
          {},
          { token: adminToken },
        ),
      ),
    ).toEqual(['CONFLICT']);
  });

  it('refuses oversized credentials before hashing', async () => {
    expect(codes(await t.gql(LOGIN, { e: 'a@b.c', p: 'x'.repeat(2000) }))).toEqual(['BAD_USER_INPUT']);
  });
});
