import { describe, expect, it } from 'vitest';
import { createDatabaseClient } from './client.js';

// No query runs here, so nothing connects: the factory's choice is observable without a database.
describe('createDatabaseClient picks the driver from DATABASE_URL', () => {
  it.each([
    ['file:./data/ich.db', 'sqlite'],
    ['file:/var/lib/ich/ich.db?connection_limit=1', 'sqlite'],
    ['postgres://ich@db.example:5432/ich', 'postgresql'],
    ['postgresql://ich:secret@db.example/ich?sslmode=require', 'postgresql'],
  ] as const)('%s → %s', async (url, provider) => {
    const db = await createDatabaseClient(url);
    try {
      expect(db.provider).toBe(provider);
      expect(typeof db.prisma.user.findMany).toBe('function');
    } finally {
      await db.close();
    }
  });

  it.each(['mysql://root@localhost/ich', 'sqlserver://x', 'ich.db', '', 'file:', 'file::memory:'])(
    'rejects %j with BAD_CONFIG naming DATABASE_URL',
    async (url) => {
      const attempt = createDatabaseClient(url);
      await expect(attempt).rejects.toMatchObject({ code: 'BAD_CONFIG', details: { variable: 'DATABASE_URL' } });
      await expect(attempt).rejects.toThrow(/DATABASE_URL/);
    },
  );

  it('never echoes the URL, which may hold a password', async () => {
    const error: unknown = await createDatabaseClient('mysql://root:hunter2@localhost/ich').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BAD_CONFIG' });
    expect(JSON.stringify(error) + String(error)).not.toContain('hunter2');
  });
});
