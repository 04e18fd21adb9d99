import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../factories/index.js';
import { codes, PROVIDERS, startApi, type TestApi } from './harness.js';

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }';

// The throttle under concurrency: guesses sent all at once must not all be checked before any is recorded.
describe.each(PROVIDERS)('login throttle under parallel guesses on %s', (provider) => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startApi(provider, {
      throttle: { windowMs: 60_000, maxFailuresPerAccount: 5, maxFailuresPerAddress: 8 },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('checks at most the per-account limit of 40 parallel wrong passwords', async () => {
    const { user, password } = await createUser(t.prisma);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.gql(LOGIN, { e: user.email, p: `wrong-${i}` }, { headers: { 'x-forwarded-for': `10.40.${i}.1` } }),
      ),
    );
    const tally = answers.map((a) => codes(a)[0]);
    expect(tally.filter((c) => c === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(5);
    expect(tally.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(35);
    expect((await t.prisma.user.findUniqueOrThrow({ where: { id: user.id } })).failedLogins).toBeLessThanOrEqual(5);
    // Claims refused in the race are withdrawn, so the burst may have checked fewer than the limit; top the failures
    // up one by one (each from its own address) until the account is at its limit.
    const checked = tally.filter((c) => c === 'UNAUTHENTICATED').length;
    for (let i = checked; i < 5; i += 1) {
      const more = await t.gql(
        LOGIN,
        { e: user.email, p: `again-${i}` },
        { headers: { 'x-forwarded-for': `10.42.${i}.1` } },
      );
      expect(codes(more)).toEqual(['UNAUTHENTICATED']);
    }
    // Locked for the window, even with the right password.
    expect(
      codes(await t.gql(LOGIN, { e: user.email, p: password }, { headers: { 'x-forwarded-for': '10.41.0.1' } })),
    ).toEqual(['RATE_LIMITED']);
  });

  it('checks at most the per-address limit of 40 parallel guesses across accounts', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.gql(LOGIN, { e: `spray-${i}@example.org`, p: 'guess' }, { headers: { 'x-forwarded-for': '10.42.0.1' } }),
      ),
    );
    const tally = answers.map((a) => codes(a)[0]);
    expect(tally.filter((c) => c === 'UNAUTHENTICATED').length).toBeLessThanOrEqual(8);
    expect(tally.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(32);
  });

  it('still lets the right password in after fewer failures than the limit', async () => {
    const { user, password } = await createUser(t.prisma);
    const ip = { headers: { 'x-forwarded-for': '10.43.0.1' } };
    for (let i = 0; i < 4; i += 1) await t.gql(LOGIN, { e: user.email, p: 'wrong' }, ip);
    const r = await t.gql(LOGIN, { e: user.email, p: password }, ip);
    expect(r.errors).toBeUndefined();
    const attempts = await t.prisma.loginAttempt.findMany({ where: { email: user.email } });
    expect(attempts.map((a) => a.success).sort()).toEqual([false, false, false, false, true]);
  });
});
