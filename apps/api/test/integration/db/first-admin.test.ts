import { createTestDatabase, PROVIDERS } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createPasswordHasher, LOW_COST_PASSWORD_PARAMS, verifyPassword } from '../../../src/auth/password.js';
import { ensureFirstAdmin } from '../../../src/bootstrap/first-admin.js';
import { type PreparedDatabase, prepareDatabase } from '../../../src/db/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const passwords = createPasswordHasher(LOW_COST_PASSWORD_PARAMS);

async function freshDatabase(provider: (typeof PROVIDERS)[number]): Promise<PreparedDatabase> {
  const db = await createTestDatabase(provider, 'admin');
  cleanups.push(db.drop);
  const prepared = await prepareDatabase(db.url);
  cleanups.push(() => prepared.close());
  return prepared;
}

describe.each(PROVIDERS)('first admin on %s', (provider) => {
  it('creates one admin with a generated password that works, once', async () => {
    const { prisma } = await freshDatabase(provider);
    const first = await ensureFirstAdmin(prisma, { email: ' Admin@Example.org ', passwords });
    if (!first.created) throw new Error('expected an admin to be created');
    expect(first.email).toBe('admin@example.org');
    expect(first.generatedPassword).toMatch(/^[A-Za-z0-9_-]{24}$/);

    const stored = await prisma.user.findUniqueOrThrow({ where: { email: 'admin@example.org' } });
    expect(stored).toMatchObject({ role: 'ADMIN', active: true });
    expect(stored.passwordHash).not.toContain(first.generatedPassword ?? '');
    expect(await verifyPassword(stored.passwordHash, first.generatedPassword ?? '')).toBe(true);

    const again = await ensureFirstAdmin(prisma, {
      email: 'admin@example.org',
      password: 'a-different-password',
      passwords,
    });
    expect(again).toEqual({ created: false });
    const after = await prisma.user.findUniqueOrThrow({ where: { email: 'admin@example.org' } });
    expect(after.passwordHash).toBe(stored.passwordHash);
    expect(await prisma.user.count()).toBe(1);
  });

  it('uses the configured password and never resets it on later starts', async () => {
    const { prisma } = await freshDatabase(provider);
    const created = await ensureFirstAdmin(prisma, {
      email: 'root@example.org',
      password: 'configured-password-1',
      passwords,
    });
    expect(created).toMatchObject({ created: true, generatedPassword: null });
    await ensureFirstAdmin(prisma, { email: 'root@example.org', password: 'changed-in-env-later', passwords });
    const { passwordHash } = await prisma.user.findUniqueOrThrow({ where: { email: 'root@example.org' } });
    expect(await verifyPassword(passwordHash, 'configured-password-1')).toBe(true);
    expect(await verifyPassword(passwordHash, 'changed-in-env-later')).toBe(false);
  });

  it('refuses to take over an existing non-admin account with the admin email', async () => {
    const { prisma } = await freshDatabase(provider);
    await prisma.user.create({
      data: { email: 'doc@example.org', passwordHash: await passwords.hash('clinician-pass-1') },
    });
    await expect(ensureFirstAdmin(prisma, { email: 'doc@example.org', passwords })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(await prisma.user.count({ where: { role: 'ADMIN' } })).toBe(0);
  });

  it('two concurrent starts create exactly one admin', async () => {
    const { prisma } = await freshDatabase(provider);
    const results = await Promise.all([
      ensureFirstAdmin(prisma, { email: 'race@example.org', passwords }),
      ensureFirstAdmin(prisma, { email: 'race@example.org', passwords }),
    ]);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await prisma.user.count({ where: { role: 'ADMIN' } })).toBe(1);
  });
});
