import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, runSql } from '@ich/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import type { PrismaClient } from '../../src/index.js';
import { deployMigrations, MIGRATIONS_ROOT } from '../../src/migrate/index.js';
import { createPostgresAdapter, PrismaClient as PostgresPrismaClient } from '../../src/postgresql.js';
import { DATABASE_PROVIDERS } from '../../src/providers.js';
import { createSqliteAdapter, PrismaClient as SqlitePrismaClient } from '../../src/sqlite.js';

const MIGRATION = 'accuracy_in_use_review_link';
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The committed history up to (not including) the review-link migration, in a folder of its own. */
async function historyBefore(provider: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'ich-migrations-'));
  cleanups.push(() => rm(root, { recursive: true, force: true }));
  const dir = join(MIGRATIONS_ROOT, provider);
  await cp(join(dir, 'migration_lock.toml'), join(root, provider, 'migration_lock.toml'));
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  const cut = names.find((n) => n.endsWith(`_${MIGRATION}`));
  expect(cut).toBeDefined();
  for (const name of names.filter((n) => n < cut!))
    await cp(join(dir, name), join(root, provider, name), { recursive: true });
  return root;
}

describe.each(DATABASE_PROVIDERS)('review link backfill on %s', (provider) => {
  it("links each earlier review to the study's latest prediction at its time, and leaves earlier ones unlinked", async () => {
    const db = await createTestDatabase(provider, 'backfill');
    cleanups.push(db.drop);
    await deployMigrations({ databaseUrl: db.url, migrationsRoot: await historyBefore(provider) });
    // Dates as each provider's client stores them (ISO text on SQLite, timestamp(3) on PostgreSQL).
    const at = (day: number) =>
      provider === 'sqlite' ? `'2026-01-0${day}T00:00:00.000+00:00'` : `'2026-01-0${day}T00:00:00.000Z'`;
    const bool = (b: boolean) => (provider === 'sqlite' ? (b ? '1' : '0') : String(b));
    const statements = [
      `INSERT INTO "User" ("id","email","name","role","passwordHash","updatedAt") VALUES ('u','a@b.c','','ADMIN','x',${at(1)})`,
      `INSERT INTO "Patient" ("id","patientId","name") VALUES ('p','P1','Doe^J')`,
      `INSERT INTO "Study" ("id","studyInstanceUid","patientId","updatedAt") VALUES ('s','2.25.1','p',${at(1)})`,
      `INSERT INTO "ModelVersion" ("id","name","version","card","directory","weightsHash") VALUES ('m','n','1','{}','d','h')`,
      `INSERT INTO "StudyPrediction" ("id","studyId","modelVersionId","any","epidural","intraparenchymal","intraventricular","subarachnoid","subdural","triage","createdAt") VALUES ('p1','s','m',0,0,0,0,0,0,${bool(true)},${at(2)}), ('p2','s','m',0,0,0,0,0,0,${bool(false)},${at(4)})`,
      `INSERT INTO "Review" ("id","studyId","reviewerId","verdict","createdAt") VALUES ('r0','s','u','AGREE',${at(1)}), ('r1','s','u','DISAGREE',${at(3)}), ('r2','s','u','AGREE',${at(5)})`,
    ];
    for (const sql of statements) await runSql(provider, db.url, sql);

    const second = await deployMigrations({ databaseUrl: db.url });
    expect(second.applied.some((n) => n.endsWith(`_${MIGRATION}`))).toBe(true);

    let prisma: PrismaClient;
    if (provider === 'sqlite') {
      prisma = new SqlitePrismaClient({ adapter: createSqliteAdapter(db.url.slice('file:'.length)) });
      cleanups.push(() => prisma.$disconnect());
    } else {
      const { adapter, pool } = createPostgresAdapter(db.url, { maxConnections: 1 });
      prisma = new PostgresPrismaClient({ adapter }) as PrismaClient;
      cleanups.push(async () => {
        await prisma.$disconnect();
        await pool.end();
      });
    }
    const reviews = await prisma.review.findMany({
      orderBy: { id: 'asc' },
      select: { id: true, studyPredictionId: true },
    });
    expect(reviews).toEqual([
      { id: 'r0', studyPredictionId: null },
      { id: 'r1', studyPredictionId: 'p1' },
      { id: 'r2', studyPredictionId: 'p2' },
    ]);
  });
});
