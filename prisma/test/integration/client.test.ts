import { createPostgresDatabase, createSqliteDatabase } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { type PrismaClient, Role } from '../../src/index.js';
import { deployMigrations } from '../../src/migrate/index.js';
import { createPostgresAdapter, PrismaClient as PostgresPrismaClient } from '../../src/postgresql.js';
import { createSqliteAdapter, PrismaClient as SqlitePrismaClient } from '../../src/sqlite.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function sqliteClient(): Promise<PrismaClient> {
  const db = await createSqliteDatabase('client');
  cleanups.push(db.drop);
  await deployMigrations({ databaseUrl: db.url });
  const prisma = new SqlitePrismaClient({ adapter: createSqliteAdapter(db.filePath) });
  cleanups.push(() => prisma.$disconnect());
  return prisma;
}

async function postgresClient(): Promise<PrismaClient> {
  const db = await createPostgresDatabase('client');
  cleanups.push(db.drop);
  await deployMigrations({ databaseUrl: db.url });
  const { adapter, pool } = createPostgresAdapter(db.url, { maxConnections: 2 });
  // Sound: the SQLite client's types are the subset both clients share (see src/index.ts).
  const prisma = new PostgresPrismaClient({ adapter }) as PrismaClient;
  cleanups.push(async () => {
    await prisma.$disconnect();
    await pool.end();
  });
  return prisma;
}

describe.each([
  ['sqlite', sqliteClient],
  ['postgresql', postgresClient],
] as const)('generated client on %s', (_provider, open) => {
  it('writes and reads rows, enums and dates round-trip, and foreign keys cascade', async () => {
    const prisma = await open();
    const user = await prisma.user.create({ data: { email: 'a@example.org', passwordHash: 'x', role: Role.ADMIN } });
    const read = await prisma.user.findUniqueOrThrow({ where: { email: 'a@example.org' } });
    expect(read).toMatchObject({ id: user.id, role: 'ADMIN', active: true, failedLogins: 0 });
    expect(read.createdAt).toBeInstanceOf(Date);

    const patient = await prisma.patient.create({
      data: {
        patientId: 'P1',
        studies: {
          create: { studyInstanceUid: '1.2.3', series: { create: { seriesInstanceUid: '1.2.3.4', modality: 'CT' } } },
        },
      },
    });
    expect(await prisma.series.count()).toBe(1);
    await prisma.patient.delete({ where: { id: patient.id } });
    expect(await prisma.study.count()).toBe(0);
    expect(await prisma.series.count()).toBe(0);

    await expect(
      prisma.session.create({ data: { userId: 'no-such-user', tokenHash: 'h', expiresAt: new Date() } }),
    ).rejects.toMatchObject({ code: 'P2003' });
  });
});
