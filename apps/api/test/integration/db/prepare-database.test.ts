import { stat } from 'node:fs/promises';
import { createTestDatabase, PROVIDERS, type TestDatabase } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type PreparedDatabase, prepareDatabase } from '../../../src/db/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(db: TestDatabase): Promise<PreparedDatabase> {
  const prepared = await prepareDatabase(db.url);
  cleanups.push(() => prepared.close());
  return prepared;
}

describe.each(PROVIDERS)('prepareDatabase on %s', (provider) => {
  it('migrates an empty database, then reuses it; the client reads and writes', async () => {
    const db = await createTestDatabase(provider, 'prepare');
    cleanups.push(db.drop);
    const first = await open(db);
    expect(first.provider).toBe(provider);
    expect(first.appliedMigrations.length).toBeGreaterThan(0);
    if (provider === 'sqlite') expect((await stat(db.url.slice('file:'.length))).isFile()).toBe(true);

    await first.prisma.modelVersion.create({
      data: { name: 'demo', version: '1', card: '{}', directory: '/m', weightsHash: 'h' },
    });
    await first.close();

    const second = await open(db);
    expect(second.appliedMigrations).toEqual([]);
    expect(await second.prisma.modelVersion.findMany({ select: { name: true, version: true } })).toEqual([
      { name: 'demo', version: '1' },
    ]);
  });
});

describe('SQLite connections', () => {
  it('run with WAL, a busy timeout and foreign keys', async () => {
    const db = await createTestDatabase('sqlite', 'pragmas');
    cleanups.push(db.drop);
    const { prisma } = await open(db);
    const [journal] = await prisma.$queryRawUnsafe<{ journal_mode: string }[]>('PRAGMA journal_mode');
    const [busy] = await prisma.$queryRawUnsafe<{ timeout: number | bigint }[]>('PRAGMA busy_timeout');
    const [fk] = await prisma.$queryRawUnsafe<{ foreign_keys: number | bigint }[]>('PRAGMA foreign_keys');
    expect(journal?.journal_mode).toBe('wal');
    expect(Number(busy?.timeout)).toBe(5000);
    expect(Number(fk?.foreign_keys)).toBe(1);
  });
});

describe('PostgreSQL client', () => {
  it('runs a transaction on the pool and closes cleanly', async () => {
    const db = await createTestDatabase('postgresql', 'pool');
    cleanups.push(db.drop);
    const prepared = await prepareDatabase(db.url, { maxConnections: 2 });
    const [a, b] = await prepared.prisma.$transaction([
      prepared.prisma.patient.create({ data: { patientId: 'P1' } }),
      prepared.prisma.patient.create({ data: { patientId: 'P2' } }),
    ]);
    expect(a.id).not.toBe(b.id);
    await prepared.close();
    await prepared.close();
    await expect(prepared.prisma.patient.count()).rejects.toThrow();
  });
});
