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

describe.each([
  ['sqlite', sqliteClient],
  ['postgresql', postgresClient],
] as const)('interactive transactions on %s', (_provider, open) => {
  it("keep other requests' statements out: a rollback undoes only its own writes, and nobody sees them before", async () => {
    const prisma = await open();
    let resume!: () => void;
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let inside!: () => void;
    const begun = new Promise<void>((resolve) => {
      inside = resolve;
    });
    const rolledBack = prisma.$transaction(async (tx) => {
      await tx.user.create({ data: { email: 'inside@example.org', passwordHash: 'x' } });
      inside();
      await paused;
      throw new Error('roll back');
    });
    await begun;
    // Other requests, outside the transaction, while it is open: a single-statement write and a read (Prisma's
    // promises are lazy: Promise.resolve starts them now).
    const outside = Promise.resolve(prisma.$executeRaw`INSERT INTO "User" ("id", "email", "passwordHash", "updatedAt")
      VALUES ('outside', 'outside@example.org', 'x', CURRENT_TIMESTAMP)`);
    const seen = Promise.resolve(prisma.user.findMany({ select: { email: true } }));
    // Give the outside statements every chance to run (on SQLite they used to run inside the open transaction).
    await new Promise((resolve) => setTimeout(resolve, 50));
    resume();
    await expect(rolledBack).rejects.toThrow('roll back');
    await outside;
    expect((await seen).map((u) => u.email)).not.toContain('inside@example.org');
    expect((await prisma.user.findMany({ select: { email: true } })).map((u) => u.email)).toEqual([
      'outside@example.org',
    ]);
  });
});
