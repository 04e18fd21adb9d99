import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const CHANGE = 'mutation($c: String!, $n: String!) { changePassword(current: $c, new: $n) }';
const ME = '{ me { id passwordChangeRequired } }';

describe.each(PROVIDERS)('changePassword on %s', (provider) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi(provider, {
      throttle: { windowMs: 60_000, maxFailuresPerAccount: 3, maxFailuresPerAddress: 50 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sets the new password, keeps the calling session, revokes the others, and audits it', async () => {
    const { user, password } = await createUser(t.prisma);
    const mine = await t.login(user.email, password);
    const other = await t.login(user.email, password);
    const next = 'a brand new passphrase';
    const r = await t.gql<{ changePassword: boolean }>(CHANGE, { c: password, n: next }, { token: mine });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ changePassword: true });
    expect((await t.gql<{ me: { id: string } | null }>(ME, {}, { token: mine })).data?.me?.id).toBe(user.id);
    expect((await t.gql(ME, {}, { token: other })).data).toEqual({ me: null });
    // Old password no longer works, the new one does.
    expect(
      codes(
        await t.gql('mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', {
          e: user.email,
          p: password,
        }),
      ),
    ).toEqual(['UNAUTHENTICATED']);
    await expect(t.login(user.email, next)).resolves.toMatch(/^ichs_/);
    const event = await t.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'auth.change_password', resourceId: user.id },
      orderBy: { seq: 'desc' },
    });
    expect(event.outcome).toBe('SUCCESS');
    expect(event.actorId).toBe(user.id);
    expect(JSON.parse(event.details)).toEqual({ otherSessionsRevoked: 1 });
    expect(event.details).not.toContain(next);
  });

  it('refuses a wrong current password (audited as a failure), a short or unchanged new one, and changes nothing', async () => {
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    const before = (await t.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
    const wrong = await t.gql(CHANGE, { c: 'not the password', n: 'a brand new passphrase' }, { token });
    expect(codes(wrong)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(wrong.errors)).toContain('current');
    expect(codes(await t.gql(CHANGE, { c: password, n: 'short' }, { token }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.gql(CHANGE, { c: password, n: password }, { token }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await t.gql(CHANGE, { c: password, n: 'x'.repeat(2000) }, { token }))).toEqual(['BAD_USER_INPUT']);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(before);
    const failure = await t.prisma.auditEvent.findFirstOrThrow({
      where: { action: 'auth.change_password', resourceId: user.id, outcome: 'FAILURE' },
    });
    expect(JSON.parse(failure.details)).toEqual({ reason: 'wrong current password' });
  });

  it('throttles guessing the current password like failed sign-ins', async () => {
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    for (let i = 0; i < 3; i++) await t.gql(CHANGE, { c: `guess number ${i}`, n: 'a brand new passphrase' }, { token });
    expect(codes(await t.gql(CHANGE, { c: password, n: 'a brand new passphrase' }, { token }))).toEqual([
      'RATE_LIMITED',
    ]);
  });

  it('needs a signed-in person: anonymous is UNAUTHENTICATED, an API token is FORBIDDEN', async () => {
    expect(codes(await t.gql(CHANGE, { c: 'whatever it is', n: 'a brand new passphrase' }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    const { user, password } = await createUser(t.prisma, { role: 'ADMIN' });
    const session = await t.login(user.email, password);
    const created = await t.gql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "script", scopes: ["read:studies", "admin"] }) { token } }',
      {},
      { token: session },
    );
    const apiToken = created.data!.createApiToken.token;
    expect(codes(await t.gql(CHANGE, { c: password, n: 'a brand new passphrase' }, { token: apiToken }))).toEqual([
      'FORBIDDEN',
    ]);
  });

  it('asks for a change until the user sets their own password, and again after an admin reset', async () => {
    const { user: admin, password: adminPassword } = await createUser(t.prisma, { role: 'ADMIN' });
    const adminToken = await t.login(admin.email, adminPassword);
    const { user, password } = await createUser(t.prisma);
    const token = await t.login(user.email, password);
    const required = async (tok: string) =>
      (await t.gql<{ me: { passwordChangeRequired: boolean } }>(ME, {}, { token: tok })).data?.me
        .passwordChangeRequired;
    expect(await required(token)).toBe(true);
    await t.gql(CHANGE, { c: password, n: 'my own passphrase 1' }, { token });
    expect(await required(token)).toBe(false);
    // Another user's flag is not revealed.
    const others = await t.gql<{ users: { id: string; passwordChangeRequired: boolean }[] }>(
      '{ users { id passwordChangeRequired } }',
      {},
      { token: adminToken },
    );
    expect(others.data?.users.find((u) => u.id === user.id)?.passwordChangeRequired).toBe(false);
    await t.gql(
      'mutation($id: ID!, $p: String!) { resetPassword(id: $id, password: $p) }',
      { id: user.id, p: 'admin chosen password' },
      { token: adminToken },
    );
    const again = await t.login(user.email, 'admin chosen password');
    expect(await required(again)).toBe(true);
  });
});
