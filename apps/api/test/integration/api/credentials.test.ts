import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../../src/auth/secrets.js';
import { createModelVersion, createStudy, createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const ME = '{ me { id } }';
const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }';
const MINT = 'mutation { createApiToken(input: { name: "integration", scopes: ["read:studies"] }) { token } }';

// Revoked credentials stay revoked: whatever an admin does next to the account, old secrets do not work again.
describe.each(PROVIDERS)('credentials that must not come back on %s', (provider) => {
  let t: TestApi;
  let admin = '';
  beforeAll(async () => {
    t = await startApi(provider, {
      throttle: { windowMs: 60_000, maxFailuresPerAccount: 3, maxFailuresPerAddress: 100 },
    });
    const a = await createUser(t.prisma, { role: 'ADMIN' });
    admin = await t.login(a.user.email, a.password);
  });
  afterAll(async () => {
    await t?.close();
  });

  async function userWithToken() {
    const { user, password } = await createUser(t.prisma);
    const session = await t.login(user.email, password);
    const minted = await t.gql<{ createApiToken: { token: string } }>(MINT, {}, { token: session });
    return { user, password, session, apiToken: minted.data!.createApiToken.token };
  }

  const setActive = (id: string, active: boolean) =>
    t.gql(
      'mutation($id: ID!, $a: Boolean!) { updateUser(id: $id, input: { active: $a }) { active } }',
      { id, a: active },
      { token: admin },
    );

  it("does not bring back a reactivated user's old API tokens or sessions", async () => {
    const { user, session, apiToken } = await userWithToken();
    expect((await t.gql(ME, {}, { token: apiToken })).data).toEqual({ me: { id: user.id } });
    expect((await setActive(user.id, false)).errors).toBeUndefined();
    expect((await t.gql(ME, {}, { token: apiToken })).data).toEqual({ me: null });
    expect((await setActive(user.id, true)).errors).toBeUndefined();
    expect((await t.gql(ME, {}, { token: apiToken })).data).toEqual({ me: null });
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: null });
    const tokens = await t.prisma.apiToken.findMany({ where: { userId: user.id } });
    expect(tokens.every((k) => k.revokedAt !== null)).toBe(true);
  });

  it('lifts the login lockout when an admin resets the password', async () => {
    const { user } = await createUser(t.prisma);
    for (let i = 0; i < 3; i += 1) await t.gql(LOGIN, { e: user.email, p: 'wrong' });
    expect(codes(await t.gql(LOGIN, { e: user.email, p: 'wrong' }))).toEqual(['RATE_LIMITED']);
    const reset = await t.gql(
      'mutation($id: ID!) { resetPassword(id: $id, password: "a-brand-new-password") }',
      { id: user.id },
      { token: admin },
    );
    expect(reset.errors).toBeUndefined();
    const r = await t.gql(LOGIN, { e: user.email, p: 'a-brand-new-password' });
    expect(r.errors).toBeUndefined();
  });

  it('revokeAllCredentials ends every session and API token of a compromised account', async () => {
    const { user, password, session, apiToken } = await userWithToken();
    const second = await t.login(user.email, password);
    const r = await t.gql<{ revokeAllCredentials: { sessions: number; apiTokens: number } }>(
      'mutation($id: ID!) { revokeAllCredentials(userId: $id) { sessions apiTokens } }',
      { id: user.id },
      { token: admin },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data?.revokeAllCredentials).toEqual({ sessions: 2, apiTokens: 1 });
    for (const secret of [session, second, apiToken])
      expect((await t.gql(ME, {}, { token: secret })).data).toEqual({ me: null });
    await t.api.audit.flush();
    const event = await t.prisma.auditEvent.findFirstOrThrow({ where: { action: 'user.revoke_credentials' } });
    expect(event.resourceId).toBe(user.id);
    // The password still works: the account is not locked, only its outstanding secrets are gone.
    expect(await t.login(user.email, password)).toMatch(/^ichs_/);
  });

  it('lets an API token mint only narrower tokens that expire no later than itself', async () => {
    const mint = (token: string, scopes: string[], days: number) =>
      t.gql<{ createApiToken: { token: string } }>(
        'mutation($s: [String!]!, $d: Int) { createApiToken(input: { name: "child", scopes: $s, expiresInDays: $d }) { token } }',
        { s: scopes, d: days },
        { token },
      );
    const parent = (await mint(admin, ['admin', 'read:studies'], 1)).data!.createApiToken.token;
    expect(codes(await mint(parent, ['admin', 'read:studies', 'read:audit', 'write:studies'], 1))).toEqual([
      'FORBIDDEN',
    ]);
    expect(codes(await mint(parent, ['read:studies'], 365))).toEqual(['FORBIDDEN']);
    const child = await mint(parent, ['read:studies'], 1);
    expect(child.errors).toBeUndefined();
    const [p, c] = await Promise.all(
      [parent, child.data!.createApiToken.token].map((secret) =>
        t.prisma.apiToken.findUniqueOrThrow({ where: { tokenHash: hashSecret(secret) } }),
      ),
    );
    expect(c!.expiresAt!.getTime()).toBeLessThanOrEqual(p!.expiresAt!.getTime());
  });

  it('ends a session left idle longer than SESSION_IDLE_MINUTES', async () => {
    const { user, password } = await createUser(t.prisma);
    const session = await t.login(user.email, password);
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: { id: user.id } });
    // Eleven hours without a request (within the 12-hour lifetime).
    await t.prisma.session.updateMany({
      where: { userId: user.id },
      data: { lastSeenAt: new Date(Date.now() - 11 * 3_600_000) },
    });
    expect((await t.gql(ME, {}, { token: session })).data).toEqual({ me: null });
    const stored = await t.prisma.session.findFirstOrThrow({ where: { userId: user.id } });
    expect(stored.revokedAt).not.toBeNull();
  });

  it("does not show a write-only token the study's clinical fields through reprocessStudy", async () => {
    const model = await createModelVersion(t.prisma);
    const { study } = await createStudy(t.prisma, { modelVersionId: model.id, labels: ['subdural'] });
    const writer = (
      await t.gql<{ createApiToken: { token: string } }>(
        'mutation { createApiToken(input: { name: "pacs", scopes: ["write:studies"] }) { token } }',
        {},
        { token: admin },
      )
    ).data!.createApiToken.token;
    const m = (fields: string) => `mutation($id: ID!) { reprocessStudy(id: $id) { ${fields} } }`;
    const ok = await t.gql(m('id status'), { id: study.id }, { token: writer });
    expect(ok.errors).toBeUndefined();
    await t.prisma.inferenceJob.deleteMany({ where: { studyId: study.id } });
    const leak = await t.gql(m('id accessionNumber anyScore triage'), { id: study.id }, { token: writer });
    expect(codes(leak)).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect(JSON.stringify(leak.data ?? null)).not.toContain(String(study.accessionNumber));
  });
});
